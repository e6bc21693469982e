using ModelSecurity.Defenses;
using ModelSecurity.Models;
using ModelSecurity.Training;

namespace ModelSecurity.Tests.Defenses;

public class RobustRecipeTests
{
    public static TheoryData<string> Methods => new() { "pgd-at", "fast-at", "trades" };

    [Theory]
    [MemberData(nameof(Methods))]
    public void ShippedRobustRecipesAreValidAndDescribeThemselves(string method)
    {
        var recipe = Recipes.Robust(method);
        recipe.Validate();
        Assert.Equal(method, recipe.Method);
        Assert.Equal(0.1, recipe.Epsilon);
        Assert.Equal("fashion-mnist", recipe.Training.Dataset);
        Assert.Contains(recipe.Training.Architecture, ModelZoo.Architectures);
        Assert.Null(recipe.Training.TrainSubset);
        Assert.EndsWith($"-{recipe.Training.Architecture}.ckpt", recipe.CheckpointFile);
        Assert.StartsWith(method, recipe.CheckpointFile);

        var extra = recipe.CheckpointExtra();
        Assert.Equal(method, extra["method"]);
        Assert.Equal("0.1", extra["epsilon"]);
        Assert.Equal(recipe.AttackSteps.ToString(System.Globalization.CultureInfo.InvariantCulture), extra["attackSteps"]);
        Assert.Equal(recipe.StepSize.ToString(System.Globalization.CultureInfo.InvariantCulture), extra["stepSize"]);
        Assert.Equal(method == "trades", extra.ContainsKey("beta"));

        var objective = recipe.CreateObjective();
        switch (objective)
        {
            case PgdAdversarialTraining pgd:
                Assert.Equal("pgd-at", method);
                Assert.Equal((recipe.Epsilon, recipe.AttackSteps, recipe.StepSize), (pgd.Epsilon, pgd.Steps, pgd.StepSize));
                break;
            case FastAdversarialTraining fast:
                Assert.Equal("fast-at", method);
                Assert.Equal(1.25 * recipe.Epsilon, fast.StepSize, 12);
                Assert.True(recipe.EarlyStopping, "fast AT ships with early stopping against catastrophic overfitting");
                break;
            case TradesObjective trades:
                Assert.Equal("trades", method);
                Assert.Equal((recipe.Epsilon, recipe.Beta, recipe.AttackSteps), (trades.Epsilon, trades.Beta, trades.Steps));
                break;
            default:
                Assert.Fail($"unexpected objective {objective.GetType().Name}");
                break;
        }
        Assert.Contains(method, recipe.ToString());
    }

    [Fact]
    public void ShippedFileNamesAreTheRecipesFiles()
    {
        Assert.Equal(ShippedModels.PgdAtFile, Recipes.PgdAt.CheckpointFile);
        Assert.Equal(ShippedModels.TradesFile, Recipes.Trades.CheckpointFile);
        Assert.Equal(ShippedModels.FastAtFile, Recipes.FastAt.CheckpointFile);
        Assert.Equal("pgd-at-kolter-madry-cnn.ckpt", ShippedModels.PgdAtFile);
        Assert.Equal("trades-kolter-madry-cnn.ckpt", ShippedModels.TradesFile);
    }

    [Fact]
    public void BadRecipesGiveClearErrors()
    {
        Assert.Contains("pgd-at, fast-at, trades", Assert.Throws<ArgumentException>(() => Recipes.Robust("free-at")).Message);
        Assert.Contains("Method", Assert.Throws<ArgumentException>(() => (Recipes.PgdAt with { Method = "madry" }).Validate()).Message);
        Assert.Contains("Epsilon", Assert.Throws<ArgumentException>(() => (Recipes.PgdAt with { Epsilon = 0 }).Validate()).Message);
        Assert.Contains("AttackSteps must be 1", Assert.Throws<ArgumentException>(() => (Recipes.FastAt with { AttackSteps = 3 }).Validate()).Message);
        Assert.Contains("Beta", Assert.Throws<ArgumentException>(() => (Recipes.Trades with { Beta = double.NaN }).CreateObjective()).Message);
        Assert.Contains("Epochs", Assert.Throws<ArgumentException>(
            () => (Recipes.Trades with { Training = Recipes.Trades.Training with { Epochs = 0 } }).Validate()).Message);
    }
}
