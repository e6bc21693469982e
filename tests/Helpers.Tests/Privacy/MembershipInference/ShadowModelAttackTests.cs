using ModelSecurity.Privacy.MembershipInference;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace ModelSecurity.Tests.Privacy.MembershipInference;

public class ShadowModelAttackTests(OverfitTargetFixture target, ITestOutputHelper output) : IClassFixture<OverfitTargetFixture>
{
    [Fact]
    public void ShadowModelsLearnToRecogniseTheTargetsMembers()
    {
        var options = new ShadowAttackOptions { Recipe = OverfitTargetFixture.Recipe, ShadowCount = 2, Seed = 1 };
        var result = ShadowModelAttack.Run(target.Target, target.Members, target.NonMembers, target.AttackerData, options, CPU);
        output.WriteLine(result.ToString());

        Assert.Equal(2, result.ShadowCount);
        Assert.True(result.ShadowTrainAccuracy > result.ShadowHeldOutAccuracy + 0.1, "the shadows overfit like the target");
        Assert.True(result.AttackTrainAuc > 0.6, $"attack train AUC {result.AttackTrainAuc:F3}");
        Assert.True(result.Auc > 0.6, $"AUC on the target {result.Auc:F3}");
        Assert.True(result.Decision.Advantage > 0.05, $"advantage at p ≥ 0.5: {result.Decision.Advantage:F3}");
    }

    [Fact]
    public void AnAttackMlpWorksToo()
    {
        var options = new ShadowAttackOptions
        {
            Recipe = OverfitTargetFixture.Recipe with { Epochs = 40 }, ShadowCount = 1, AttackHiddenUnits = 8, Seed = 2,
        };
        var result = ShadowModelAttack.Run(target.Target, target.Members, target.NonMembers, target.AttackerData, options, CPU);
        output.WriteLine(result.ToString());
        Assert.True(result.Auc > 0.55, $"AUC {result.Auc:F3}");
    }

    [Fact]
    public void EachShadowComesFromTheFactory()
    {
        int created = 0;
        var options = new ShadowAttackOptions
        {
            Recipe = OverfitTargetFixture.Recipe with { Epochs = 2 }, ShadowCount = 3, AttackSteps = 20,
            ModelFactory = () => { created++; return new ModelSecurity.Models.Mlp(10, hiddenSize: 16); },
        };
        using var attacker = target.AttackerData.Take(60);
        var result = ShadowModelAttack.Run(target.Target, target.Members, target.NonMembers, attacker, options);
        Assert.Equal(3, created);
        Assert.Equal(3, result.ShadowCount);
        Assert.InRange(result.Auc, 0, 1);
    }

    [Fact]
    public void BadArgumentsAreRejected()
    {
        var options = new ShadowAttackOptions { Recipe = OverfitTargetFixture.Recipe, ShadowCount = 0 };
        var error = Assert.Throws<ArgumentOutOfRangeException>(() =>
            ShadowModelAttack.Run(target.Target, target.Members, target.NonMembers, target.AttackerData, options));
        Assert.Equal("ShadowCount", error.ParamName);

        var ok = options with { ShadowCount = 1 };
        using var empty = target.NonMembers.Take(0);
        Assert.Contains("empty", Assert.Throws<ArgumentException>(() =>
            ShadowModelAttack.Run(target.Target, target.Members, empty, target.AttackerData, ok)).Message);
        using var one = target.AttackerData.Take(1);
        Assert.Throws<ArgumentException>(() => ShadowModelAttack.Run(target.Target, target.Members, target.NonMembers, one, ok));

        using var threeClasses = new ModelSecurity.Data.ImageDataset("three classes", zeros(4, 1, 28, 28), zeros(4, dtype: ScalarType.Int64), ["a", "b", "c"]);
        Assert.Contains("classes", Assert.Throws<ArgumentException>(() =>
            ShadowModelAttack.Run(target.Target, target.Members, target.NonMembers, threeClasses, ok)).Message);

        Assert.Contains("labels", Assert.Throws<ArgumentException>(() =>
            AttackClassifier.Train([[1.0], [2.0]], [true])).Message);
        Assert.Throws<ArgumentException>(() => AttackClassifier.Train([[1.0], [2.0, 3.0]], [true, false]));
        Assert.Throws<ArgumentException>(() => AttackClassifier.Train([[1.0], [2.0]], [true, true]));
        using var classifier = AttackClassifier.Train([[1.0], [2.0]], [false, true], steps: 5);
        Assert.Throws<ArgumentException>(() => classifier.PredictMembership([[1.0, 2.0]]));
    }
}
