using ModelSecurity.Attacks;
using ModelSecurity.Data;
using ModelSecurity.Models;
using ModelSecurity.Runtime;
using ModelSecurity.Training;
using static TorchSharp.torch;

namespace ModelSecurity.Tests.Training;

/// <summary>Library loops report through <see cref="Progress"/>: the trainer's epochs and batches, an attack evaluation nested in a sweep.</summary>
public class TrainerProgressTests
{
    private sealed class Recorder : IProgressSink
    {
        public List<ProgressReport> Reports { get; } = [];
        public void Report(ProgressReport report) { lock (Reports) Reports.Add(report); }
    }

    private static readonly ProgressSettings EveryReport = new() { ShowAfter = TimeSpan.Zero, MinInterval = TimeSpan.Zero };

    [Fact]
    public void TrainingShowsEpochsAndBatchesAsOneLineEndingInItsFinalState()
    {
        using var train = FashionMnist.Load(DataSplit.Train);
        var recipe = new TrainingRecipe { Name = "unit", Architecture = "linear", Epochs = 2, BatchSize = 100, Seed = 7, TrainSubset = 500 };
        var sink = new Recorder();
        Reproducibility.Seed(7);
        using (Progress.Use(sink, EveryReport))
            new Trainer(SilentTrainingReporter.Instance).Fit(ModelZoo.Create("linear"), train, recipe, CPU);

        Assert.Single(sink.Reports.Select(r => r.OperationId).Distinct());
        Assert.Contains(sink.Reports, r => r.Text.StartsWith("cross-entropy training · epoch 2/2 · batch 3/5 · loss ", StringComparison.Ordinal));
        var final = sink.Reports[^1];
        Assert.True(final.IsFinal);
        Assert.StartsWith("cross-entropy training · 2/2 epochs · ", final.Text);
        Assert.Contains(" · loss ", final.Text);
        Assert.Null(Progress.Current);
    }

    [Fact]
    public void AnEpsilonSweepNestsEachEvaluation()
    {
        using var test = FashionMnist.Load(DataSplit.Test);
        using var data = test.Take(300);
        Reproducibility.Seed(1);
        var model = ModelZoo.Create("linear");
        var sink = new Recorder();
        using (Progress.Use(sink, EveryReport))
            RobustnessEvaluator.Sweep(model, data, [0.01, 0.1], eps => new Fgsm(model, eps), CPU, batchSize: 100, log: TextWriter.Null);

        Assert.Single(sink.Reports.Select(r => r.OperationId).Distinct());
        Assert.Contains(sink.Reports, r => r.Text.StartsWith("ε sweep · budget 2/2 · image 200/300 · robust acc ", StringComparison.Ordinal));
        Assert.StartsWith("ε sweep · 2/2 budgets · ", sink.Reports[^1].Text);
    }
}
