using ModelSecurity.Attacks;
using ModelSecurity.Data;
using ModelSecurity.Models;
using ModelSecurity.Tests.Support;
using ModelSecurity.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace ModelSecurity.Tests.Attacks;

public class RobustnessProtocolTests(TrainedMlpFixture fixture) : IClassFixture<TrainedMlpFixture>
{
    /// <summary>
    /// A deliberately masked model: it quantizes its input to 5 grey levels before the MLP. Rounding has zero gradient,
    /// so every gradient attack sees a flat loss, although the decision function is as easy to fool as the MLP's.
    /// </summary>
    private sealed class QuantizedInput : nn.Module<Tensor, Tensor>
    {
        private readonly nn.Module<Tensor, Tensor> inner;

        public QuantizedInput(nn.Module<Tensor, Tensor> model) : base(nameof(QuantizedInput))
        {
            inner = model;
            RegisterComponents();
        }

        public override Tensor forward(Tensor input) => inner.forward((input * 4).round() / 4);
    }

    private static RobustnessProtocol SmallProtocol(double eps = 0.1) =>
        new(eps, pgdSteps: 5, pgdRestarts: 2, apgdIterations: 20) { UnboundedSteps = 30 };

    private static nn.Module<Tensor, Tensor> Surrogate()
    {
        using var train = FashionMnist.Load(DataSplit.Train);
        var recipe = new TrainingRecipe { Name = "surrogate", Architecture = "mlp", Epochs = 2, BatchSize = 100, LearningRate = 2e-3, Seed = 9, TrainSubset = 3000 };
        Reproducibility.Seed(recipe.Seed);
        var model = ModelZoo.Create("mlp");
        new Trainer(SilentTrainingReporter.Instance).Fit(model, train, recipe, CPU);
        return model;
    }

    [Fact]
    public void EvaluateGivesCleanFgsmPgdAndApgdInOneTable()
    {
        using var data = fixture.Test.Take(200);
        var table = SmallProtocol(0.03).Evaluate(fixture.Model, data);
        Assert.Equal(new[] { "clean", "fgsm", "pgd", "apgd" }, table.Rows.Select(r => r.Key));
        Assert.Equal(Evaluator.Evaluate(fixture.Model, data).Accuracy, table.CleanAccuracy, 9);
        Assert.All(table.Rows.Skip(1), r => Assert.True(r.Accuracy <= table.CleanAccuracy + 1e-9, $"{r.Attack} raised accuracy"));
        Assert.True(table["pgd"].Accuracy <= table["fgsm"].Accuracy + 0.01, "PGD weaker than FGSM on a plain MLP");
        Assert.True(table["apgd"].Accuracy < table.CleanAccuracy, "APGD fooled nothing");
        Assert.Contains("PGD-5×2", table["pgd"].Attack);
        Assert.Contains("APGD-CE-20", table["apgd"].Attack);
        Assert.All(table.Rows, r => Assert.True(r.Seconds >= 0));
        Assert.Equal(table.Rows.Skip(1).Min(r => r.Accuracy), table.Strongest.Accuracy);
        string markdown = table.ToMarkdown();
        Assert.Contains("| clean (no attack) |", markdown);
        Assert.Contains("on 200 images", markdown);
        Assert.Contains("<td>APGD-CE-20 L∞ ε=0.03</td>", table.ToHtml());
        Assert.Equal(table["apgd"].Accuracy.ToString("F4", System.Globalization.CultureInfo.InvariantCulture), table.ToExtra()["protocol.apgd"]);
    }

    [Fact]
    public void SanityChecksPassOnANormalModelAndFlagAMaskedOne()
    {
        using var data = fixture.Test.Take(200);
        using var surrogate = Surrogate();
        var protocol = SmallProtocol();

        var normal = protocol.CheckGradientMasking(fixture.Model, data, surrogate);
        Assert.Equal(4, normal.Checks.Count);
        Assert.True(normal.AllPassed, normal.ToString());

        var masked = new QuantizedInput(fixture.Model); // not disposed: that would dispose the shared fixture model inside it
        double maskedClean = Evaluator.Evaluate(masked, data).Accuracy;
        Assert.True(maskedClean > 0.5, $"the quantized model should still classify well; got {maskedClean:P1}");
        var report = protocol.CheckGradientMasking(masked, data, surrogate);
        Assert.False(report.AllPassed, "the masked model passed every check:\n" + report);
        var unbounded = report.Checks.Single(c => c.Check == "unbounded attack");
        Assert.False(unbounded.Passed, unbounded.ToString());
        Assert.Contains("masked", unbounded.Explanation);
        var transfer = report.Checks.Single(c => c.Check == "white-box vs transfer");
        Assert.False(transfer.Passed, transfer.ToString());
        Assert.Contains("gradient masking", report.ToString());
        Assert.Contains(">FAIL</td><td>unbounded attack</td>", report.ToHtml());
    }

    [Fact]
    public void WithoutASurrogateTheTransferCheckIsNotRun()
    {
        using var data = fixture.Test.Take(100);
        var report = SmallProtocol().CheckGradientMasking(fixture.Model, data);
        Assert.Equal(new[] { "unbounded attack", "more steps", "iterative vs single-step" }, report.Checks.Select(c => c.Check));
    }

    [Fact]
    public void TransferEvaluationAttacksOneModelWithAnothersExamples()
    {
        using var data = fixture.Test.Take(100);
        using var surrogate = Surrogate();
        var attack = new Pgd(surrogate, 0.1, steps: 5, seed: 1);
        Assert.Contains("EvaluateTransfer", Assert.Throws<ArgumentException>(
            () => RobustnessEvaluator.Evaluate(fixture.Model, data, attack, log: TextWriter.Null)).Message);
        var report = RobustnessEvaluator.EvaluateTransfer(fixture.Model, data, attack, log: TextWriter.Null);
        Assert.EndsWith("transferred", report.Attack);
        Assert.True(report.RobustAccuracy < report.CleanAccuracy, "PGD examples of a similar MLP should transfer somewhat");
    }

    [Fact]
    public void BadArgumentsGiveClearErrors()
    {
        using var data = fixture.Test.Take(10);
        using var empty = fixture.Test.Take(0);
        Assert.Throws<ArgumentOutOfRangeException>(() => new RobustnessProtocol(-1));
        Assert.Contains("pgdSteps", Assert.Throws<ArgumentOutOfRangeException>(() => new RobustnessProtocol(0.1, pgdSteps: 0)).Message);
        Assert.Contains("Tolerance", Assert.Throws<ArgumentOutOfRangeException>(() => new RobustnessProtocol(0.1) { Tolerance = 1.5 }).Message);
        Assert.Contains("UnboundedSteps", Assert.Throws<ArgumentOutOfRangeException>(() => new RobustnessProtocol(0.1) { UnboundedSteps = 0 }).Message);
        Assert.Contains("empty", Assert.Throws<ArgumentException>(() => SmallProtocol().Evaluate(fixture.Model, empty)).Message);
        Assert.Contains("another model", Assert.Throws<ArgumentException>(
            () => SmallProtocol().CheckGradientMasking(fixture.Model, data, fixture.Model)).Message);
    }
}
