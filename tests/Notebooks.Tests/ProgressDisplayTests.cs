using ModelSecurity.Notebooks.Execution;
using ModelSecurity.Notebooks.Format;
using ModelSecurity.Runtime;
using static ModelSecurity.Notebooks.Tests.TestSupport;

namespace ModelSecurity.Notebooks.Tests;

/// <summary>The library's progress shown in a cell: one display updated in place, stored once in its final state.</summary>
public class ProgressDisplayTests
{
    private const string ThousandSteps =
        "using (var p = ModelSecurity.Runtime.Progress.Start(\"demo\", 1000))\n" +
        "    for (int i = 0; i < 1000; i++) { Thread.Sleep(SLEEP); p.Metric(\"loss\", 1.0 / (i + 1)).Advance(); }\n" +
        "Console.WriteLine(\"done\");";

    /// <summary>Counts what reaches the collector.</summary>
    internal sealed class CountingSink : ICellOutputSink
    {
        public CellOutputCollector Collector { get; } = new();
        public int Adds;
        public int Updates;
        public TaskCompletionSource FirstDisplay { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Add(CellOutput output)
        {
            Interlocked.Increment(ref Adds);
            Collector.Add(output);
            if (output is DisplayOutput { DisplayId: not null }) FirstDisplay.TrySetResult();
        }

        public void Update(string displayId, DisplayOutput output)
        {
            Interlocked.Increment(ref Updates);
            Collector.Update(displayId, output);
        }
    }

    private static NotebookEngine FastProgressEngine() => new(new EngineOptions
    {
        BaseDirectory = NewDirectory(),
        Progress = new ProgressSettings { ShowAfter = TimeSpan.Zero, MinInterval = TimeSpan.FromMilliseconds(20) },
    });

    [Fact]
    public async Task ACellReportingAThousandStepsStoresOneProgressOutputInItsFinalState()
    {
        var engine = FastProgressEngine();
        var sink = new CountingSink();
        var result = await engine.ExecuteAsync(ThousandSteps.Replace("SLEEP", "1"), sink);

        Assert.Equal(CellStatus.Succeeded, result.Status);
        Assert.True(sink.Updates >= 5, $"the display was updated live ({sink.Updates} updates)");
        Assert.True(sink.Updates < 1000, "updates are throttled, not one per step");
        var outputs = sink.Collector.Outputs;
        Assert.Equal(2, outputs.Count);
        var progress = Assert.IsType<DisplayOutput>(outputs[0]);
        Assert.NotNull(progress.DisplayId);
        Assert.StartsWith("demo · 1000/1000 steps · ", Plain(progress));
        Assert.EndsWith(" · loss 0.001", Plain(progress));
        Assert.Contains("<progress value=\"1\"", progress.Value.Data["text/html"]);
        Assert.Equal(new StreamOutput("stdout", "done\n"), outputs[1]);
    }

    [Fact]
    public async Task CourseRunWritesTheProgressDisplayOnceWithDefaultSettings()
    {
        string dir = NewDirectory();
        string path = Save(Notebook(ThousandSteps.Replace("SLEEP", "2")), dir); // > 2 s: longer than the 1 s display delay
        var (exit, _, error) = await RunCli("run", path);
        Assert.True(exit == 0, error);
        var outputs = OutputsOf(NotebookDocument.Load(path), 2);
        Assert.Equal(2, outputs.Count);
        Assert.Equal("display_data", (string?)outputs[0]!["output_type"]);
        Assert.StartsWith("demo · 1000/1000 steps · ", NotebookCell.FromMultiline(outputs[0]!["data"]!["text/plain"]));
        Assert.True(ProgressDisplay.IsProgress(outputs[0]!.AsObject()));
        Assert.Equal("stream", (string?)outputs[1]!["output_type"]);
        Assert.False(ProgressDisplay.IsProgress(outputs[1]!.AsObject()));
    }

}

/// <summary>Interrupting a progress loop: uses the process-wide interruption token, so it runs alone.</summary>
[Collection(nameof(InterruptionCollection))]
public class ProgressInterruptionTests
{
    [Fact]
    public async Task AnInterruptStopsALoopThatOnlyReportsProgress()
    {
        var engine = new NotebookEngine(new EngineOptions
        {
            BaseDirectory = NewDirectory(),
            Progress = new ProgressSettings { ShowAfter = TimeSpan.Zero, MinInterval = TimeSpan.FromMilliseconds(20) },
        });
        var sink = new ProgressDisplayTests.CountingSink();
        using var interrupt = new CancellationTokenSource();
        var run = engine.ExecuteAsync(
            "using (var p = ModelSecurity.Runtime.Progress.Start(\"endless\", 1000000))\n" +
            "    for (int i = 0; i < 1000000; i++) { Thread.Sleep(5); p.Advance(); }", sink, cancellationToken: interrupt.Token);
        await sink.FirstDisplay.Task.WaitAsync(TimeSpan.FromSeconds(60));
        interrupt.Cancel();
        var result = await run.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(CellStatus.Interrupted, result.Status);
        Assert.Null(engine.PoisonedBecause);
        var outputs = sink.Collector.Outputs;
        Assert.StartsWith("endless · stopped at ", Plain(outputs[0]));
        Assert.Equal("System.OperationCanceledException", Assert.IsType<ErrorOutput>(outputs[^1]).EName);
    }
}
