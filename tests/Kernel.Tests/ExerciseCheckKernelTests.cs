namespace ModelSecurity.Kernel.Tests;

/// <summary>An in-notebook exercise check run through the kernel by a real Jupyter client.</summary>
public class ExerciseCheckKernelTests
{
    [Fact]
    public async Task CheckCellShowsCrossThenTickAsDisplayData()
    {
        var r = await PythonClient.RunAsync("check.py");
        foreach (string step in new[] { "undefined", "wrong", "right" })
            Assert.Equal("ok", r[step]!["reply"].Str("status"));

        var undefined = r["undefined"].Iopub().Single(m => m.Type == "display_data").Content["data"];
        Assert.StartsWith("✘ toy/square", undefined.Str("text/plain"));
        Assert.Contains("define Square in the exercise cell above", undefined.Str("text/plain"));

        var wrong = r["wrong"].Iopub().Single(m => m.Type == "display_data").Content["data"];
        Assert.Contains("Square(3) returned 6, expected 9.", wrong.Str("text/plain"));
        Assert.Contains("✘", wrong.Str("text/html"));
        Assert.Contains("course-check", wrong.Str("text/html"));

        var right = r["right"].Iopub().Single(m => m.Type == "display_data").Content["data"];
        Assert.StartsWith("✔ toy/square: correct", right.Str("text/plain"));
        Assert.Contains("✔", right.Str("text/html"));
        Assert.DoesNotContain(r["right"].Iopub(), m => m.Type is "error" or "execute_result");
    }
}
