using System.Text.Json.Nodes;

namespace ModelSecurity.Kernel.Tests;

/// <summary>The kernel driven by real Jupyter clients: interrupt, input, restart and message signatures.</summary>
public class KernelLifecycleTests
{
    [Fact]
    public async Task InterruptStopsALoopAndConsoleReadLineAsksTheFrontEnd()
    {
        var r = await PythonClient.RunAsync("interrupt.py");

        var interrupted = r["interrupted"]!;
        Assert.Equal("error", interrupted.Str("status"));
        Assert.Equal("System.OperationCanceledException", interrupted.Str("ename"));
        // The loop never ends by itself, so the reply proves the interrupt; the bound is wide for busy machines.
        Assert.True((double)r["interrupt_seconds"]! < 20, $"interrupt took {r["interrupt_seconds"]} s");
        Assert.Equal("ok", r["after"]!["reply"].Str("status"));
        Assert.Equal("true", r["after"].Iopub().Single(m => m.Type == "execute_result").Content["data"].Str("text/plain"));
        Assert.Equal(["System.OperationCanceledException", "System.OperationCanceledException"], r["signal"].Strings());
        Assert.True((bool)r["alive_after_signals"]!);

        Assert.Equal("input_request", r["input_request"].Str("type"));
        Assert.True((bool)r["input_request"]!["parent"]!);
        Assert.False((bool)r["input_request"]!["content"]!["password"]!);
        Assert.Equal("ok", r["input_reply"].Str("status"));
        string printed = string.Concat(new JsonObject { ["iopub"] = r["input_iopub"]!.DeepClone() }.Iopub()
            .Where(m => m.Type == "stream").Select(m => m.Content.Str("text")));
        Assert.Equal("Name? Hello, Ada!\n", printed);

        var noStdin = r["no_stdin"]!;
        Assert.Equal("error", noStdin.Str("status"));
        Assert.Contains("allow_stdin", noStdin.Str("evalue"));
    }

    [Fact]
    public async Task RestartStartsAFreshSession()
    {
        var r = await PythonClient.RunAsync("restart.py");
        Assert.NotEqual((int)r["pid_before"]!, (int)r["pid_after"]!);
        Assert.Equal("error", r["after"].Str("status"));
        Assert.Contains("CS0103", r["after"].Str("evalue")); // 'kept' is gone
        Assert.Equal("ok", r["fresh"]!["reply"].Str("status"));
        Assert.Equal(2, (int)r["fresh"]!["reply"]!["execution_count"]!); // counting starts again: 'kept' was cell 1
    }

    [Fact]
    public async Task WronglySignedAndReplayedMessagesAreDropped()
    {
        var r = await PythonClient.RunAsync("signature.py");
        Assert.True((int)r["key_length"]! > 0, "jupyter_client writes a key into the connection file");
        Assert.Null((string?)r["wrong_key"]);
        Assert.Equal("kernel_info_reply", (string?)r["right_key"]);
        Assert.True((bool)r["replay_first"]!);
        Assert.False((bool)r["replay_second"]!);
        Assert.False((bool)r["replay_upper"]!, "the replay with an upper-cased signature was answered");
        Assert.False((bool)r["fresh_upper"]!, "a message with an upper-cased signature was answered");
        string log = r.Str("log");
        Assert.Contains("invalid signature", log);
        Assert.Contains("duplicate signature", log);
    }
}
