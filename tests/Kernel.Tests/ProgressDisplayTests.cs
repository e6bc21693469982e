using System.Text.Json.Nodes;
using Xunit.Abstractions;

namespace ModelSecurity.Kernel.Tests;

/// <summary>Live progress through the Jupyter protocol (clients/progress.py, jupyter_client and nbclient).</summary>
public class ProgressDisplayTests(ITestOutputHelper log)
{
    [Fact]
    public async Task ProgressIsOneDisplayUpdatedInPlaceStoredOnceAndInterruptible()
    {
        var r = await PythonClient.RunAsync("progress.py");

        // Live: one display_data with a transient display_id, then update_display_data messages with that id.
        var live = r["live"]!;
        Assert.Equal("ok", live["reply"].Str("status"));
        var messages = live.Iopub();
        var display = Assert.Single(messages, m => m.Type == "display_data");
        string id = display.Content["transient"].Str("display_id");
        Assert.False(string.IsNullOrEmpty(id), "the progress display carries transient.display_id");
        Assert.Contains("<progress", display.Content["data"].Str("text/html"));
        var updates = messages.Where(m => m.Type == "update_display_data").ToList();
        Assert.True(updates.Count >= 2, $"expected live updates, got {updates.Count}");
        Assert.All(updates, u => Assert.Equal(id, u.Content["transient"].Str("display_id")));
        Assert.True(updates.Count <= 40, $"updates are throttled (at most 4 per second), got {updates.Count} for 1000 steps");
        log.WriteLine($"1000 steps: 1 display_data + {updates.Count} update_display_data; first update \"{updates[0].Content["data"].Str("text/plain")}\"");
        Assert.Contains("ETA", updates[0].Content["data"].Str("text/plain"));
        string final = updates[^1].Content["data"].Str("text/plain");
        log.WriteLine($"final: \"{final}\"");
        Assert.StartsWith("demo · 1000/1000 steps · ", final);
        Assert.Contains("loss 0.001", final);
        // The progress display comes before the text the cell printed after the loop.
        int displayAt = messages.FindIndex(m => m.Type == "display_data");
        int printedAt = messages.FindIndex(m => m.Type == "stream" && m.Content.Str("text").Contains("done"));
        Assert.True(displayAt < printedAt, "outputs keep the cell's order");

        // An interrupt stops a loop whose only interruption point is Progress's Advance, and the display shows where it stopped.
        var interrupted = r["interrupted"]!;
        Assert.Equal("error", interrupted.Str("status"));
        Assert.Equal("System.OperationCanceledException", interrupted.Str("ename"));
        var stopped = new JsonObject { ["iopub"] = r["interrupted_iopub"]!.DeepClone() }.Iopub()
            .Where(m => m.Type == "update_display_data").Select(m => m.Content["data"].Str("text/plain")).ToList();
        Assert.StartsWith("endless · stopped at ", stopped.LastOrDefault() ?? "");
        Assert.Equal("ok", r["after"]!["reply"].Str("status"));

        // nbclient applies the updates: the stored notebook has one output with the final state, then the printed text.
        var stored = (JsonArray)r["stored"]!;
        Assert.Equal(2, stored.Count);
        Assert.Equal("display_data", stored[0].Str("output_type"));
        Assert.StartsWith("demo · 1000/1000 steps · ", stored[0]!["data"].Str("text/plain"));
        Assert.True(Notebooks.Execution.ProgressDisplay.IsProgress((JsonObject)stored[0]!), "the stored output is marked as progress");
        Assert.False(stored[0]!.AsObject().ContainsKey("transient"), "transient is not stored");
        Assert.Equal("stream", stored[1].Str("output_type"));
    }
}
