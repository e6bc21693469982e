using ModelSecurity.Runtime;

namespace ModelSecurity.Tests.Runtime;

/// <summary>The progress seam: throttling, delay, ETA, nesting into one line, final state, binding and interruption.</summary>
public class ProgressTests
{
    private sealed class ManualClock : TimeProvider
    {
        private long _ticks;
        public override long TimestampFrequency => TimeSpan.TicksPerSecond;
        public override long GetTimestamp() => _ticks;
        public void Advance(TimeSpan time) => _ticks += time.Ticks;
    }

    private sealed class Recorder : IProgressSink
    {
        public List<ProgressReport> Reports { get; } = [];
        public void Report(ProgressReport report) { lock (Reports) Reports.Add(report); }
    }

    private static (Recorder Sink, ManualClock Clock, IDisposable Binding) Bind(TimeSpan? minInterval = null, TimeSpan? showAfter = null)
    {
        var sink = new Recorder();
        var clock = new ManualClock();
        var binding = Progress.Use(sink, new ProgressSettings
        {
            Clock = clock,
            MinInterval = minInterval ?? TimeSpan.FromMilliseconds(250),
            ShowAfter = showAfter ?? TimeSpan.Zero,
        });
        return (sink, clock, binding);
    }

    [Fact]
    public void UpdatesAreThrottledAndTheFinalStateIsAlwaysReported()
    {
        var (sink, clock, binding) = Bind();
        using (binding)
        using (var steps = Progress.Start("demo", 1000))
            for (int i = 0; i < 1000; i++)
            {
                clock.Advance(TimeSpan.FromMilliseconds(1));
                steps.Advance();
            }
        // One second at ≤ 4 reports per second: about 4 live reports, then the final one.
        Assert.InRange(sink.Reports.Count(r => !r.IsFinal), 3, 5);
        var final = sink.Reports[^1];
        Assert.True(final.IsFinal);
        Assert.Single(sink.Reports, r => r.IsFinal);
        Assert.Single(sink.Reports.Select(r => r.OperationId).Distinct());
        Assert.Equal("demo · 1000/1000 steps · 0:01", final.Text);
        Assert.Equal(1.0, final.Fraction);
    }

    [Fact]
    public void QuickOperationsAreNotShownAndLongOnesOnlyAfterTheDelay()
    {
        var (sink, clock, binding) = Bind(minInterval: TimeSpan.Zero, showAfter: TimeSpan.FromSeconds(1));
        using (binding)
        {
            using (var quick = Progress.Start("quick", 10))
                for (int i = 0; i < 10; i++) { clock.Advance(TimeSpan.FromMilliseconds(50)); quick.Advance(); }
            Assert.Empty(sink.Reports);

            using (var slow = Progress.Start("slow", 10))
                for (int i = 0; i < 10; i++) { clock.Advance(TimeSpan.FromMilliseconds(300)); slow.Advance(); }
        }
        Assert.Equal("slow · step 4/10 · ETA 0:02", sink.Reports[0].Text); // 1.2 s for 4 of 10 steps: 1.8 s left
        Assert.Equal(TimeSpan.FromSeconds(1.8), sink.Reports[0].Remaining);
        Assert.Equal("slow · 10/10 steps · 0:03", sink.Reports[^1].Text);
    }

    [Fact]
    public void NestedTasksShowAsOneLineWithTheirCombinedFractionAndEta()
    {
        var (sink, clock, binding) = Bind(minInterval: TimeSpan.Zero);
        using (binding)
        using (var epochs = Progress.Start("training", 3, "epoch"))
        {
            using (var first = Progress.Start("epoch", 4, "batch"))
                for (int b = 0; b < 4; b++) { clock.Advance(TimeSpan.FromSeconds(1)); first.Metric("loss", 0.9).Advance(); }
            epochs.Advance();
            int reportsBefore = sink.Reports.Count;
            var second = Progress.Start("epoch", 4, "batch");
            Assert.Same(second, Progress.Current);
            for (int b = 0; b < 2; b++)
            {
                clock.Advance(TimeSpan.FromSeconds(1));
                second.Metric("loss", 1.0 / 6).Metric("acc", 0.5, "P0").Advance();
            }
            // In epoch 2 of 3 (one done), batch 2 of 4: 1.5 of 3 epochs done in 6 s, so 6 s left.
            var live = sink.Reports[^1];
            Assert.Equal("training · epoch 2/3 · batch 2/4 · loss 0.167 · acc 50 % · ETA 0:06", live.Text);
            Assert.Equal(0.5, live.Fraction!.Value, 9);
            Assert.Equal(TimeSpan.FromSeconds(6), live.Remaining);
            Assert.True(sink.Reports.Count > reportsBefore);
            Assert.Single(sink.Reports.Select(r => r.OperationId).Distinct());
            second.Dispose();
            Assert.Same(epochs, Progress.Current); // the inner task ended, the outer one is current again
        }
        // Stopped before the last epoch: the final line says so, with the last metrics of the inner task.
        Assert.Equal("training · stopped at 1/3 epochs · 0:06 · loss 0.167 · acc 50 %", sink.Reports[^1].Text);
        Assert.True(sink.Reports[^1].IsFinal);
        Assert.Null(Progress.Current);
    }

    [Fact]
    public void UnknownTotalsCountWithoutFractionOrEta()
    {
        var (sink, clock, binding) = Bind(minInterval: TimeSpan.Zero);
        using (binding)
        using (var rounds = Progress.Start("search", unit: "query"))
            for (int i = 0; i < 3; i++) { clock.Advance(TimeSpan.FromSeconds(1)); rounds.Advance(); }
        Assert.Equal("search · 3 queries", sink.Reports[^2].Text);
        Assert.Null(sink.Reports[^2].Fraction);
        Assert.Null(sink.Reports[^2].Remaining);
        Assert.Equal("search · 3 queries · 0:03", sink.Reports[^1].Text);
    }

    [Fact]
    public async Task TheBoundSinkFollowsTheFlowIntoTasksAndEndsWithTheBinding()
    {
        var (sink, _, binding) = Bind();
        using (binding)
            await Task.Run(() => { using var task = Progress.Start("in a task", 1); task.Advance(); });
        Assert.Equal(2, sink.Reports.Count); // shown at once (no delay here), then final
        Assert.All(sink.Reports, r => Assert.Equal("in a task", r.Name));

        var other = new Recorder();
        using (Progress.Use(other, new ProgressSettings { ShowAfter = TimeSpan.Zero }))
            Progress.Start("after", 1).Dispose();
        Assert.Equal(2, sink.Reports.Count); // the first binding is gone
        Assert.Equal("after · stopped at 0/1 step · 0:00", Assert.Single(other.Reports).Text);
    }

    [Fact]
    public void AdvanceIsAnInterruptionPoint()
    {
        var (sink, _, binding) = Bind();
        var previous = Interruption.Token;
        using var interrupt = new CancellationTokenSource();
        try
        {
            using (binding)
            {
                Interruption.Token = interrupt.Token;
                int done = 0;
                Assert.Throws<OperationCanceledException>(() =>
                {
                    using var steps = Progress.Start("loop", 100);
                    for (int i = 0; i < 100; i++)
                    {
                        if (i == 7) interrupt.Cancel();
                        steps.Advance();
                        done++;
                    }
                });
                Assert.Equal(7, done);
            }
        }
        finally
        {
            Interruption.Token = previous;
        }
        Assert.StartsWith("loop · stopped at 8/100 steps", sink.Reports[^1].Text);
        Assert.True(sink.Reports[^1].IsFinal);
    }

    [Fact]
    public void BadArgumentsAreRejectedWithTheirName()
    {
        Assert.Throws<ArgumentException>(() => Progress.Start(" "));
        Assert.Contains("total", Assert.Throws<ArgumentOutOfRangeException>(() => Progress.Start("x", -1)).Message);
    }

    [Fact]
    public void TheConsoleSinkRewritesOneLineOnATerminalAndWritesPlainLinesWhenRedirected()
    {
        var terminal = new StringWriter();
        var tty = new ConsoleProgressSink(terminal, interactive: true);
        tty.Report(new ProgressReport(1, "x", "x · step 1/2 · ETA 0:01", 0.5, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1), false));
        tty.Report(new ProgressReport(1, "x", "x · 2/2 steps · 0:02", 1, TimeSpan.FromSeconds(2), null, true));
        Assert.Equal("\rx · step 1/2 · ETA 0:01\r\rx · 2/2 steps · 0:02   " + Environment.NewLine, terminal.ToString());

        var log = new StringWriter();
        var redirected = new ConsoleProgressSink(log, interactive: false, redirectedInterval: TimeSpan.FromHours(1));
        for (int i = 1; i <= 3; i++)
            redirected.Report(new ProgressReport(2, "y", $"y · step {i}/4", i / 4.0, TimeSpan.Zero, null, false));
        redirected.Report(new ProgressReport(2, "y", "y · 4/4 steps · 0:00", 1, TimeSpan.Zero, null, true));
        Assert.Equal(["y · step 1/4", "y · 4/4 steps · 0:00"], log.ToString().Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries));
    }
}
