using System.Runtime.InteropServices;
using ModelSecurity.Notebooks.Execution;

namespace ModelSecurity.Notebooks.Tests;

/// <summary>Running deterministic work once more when TorchSharp's scalar race ends it — and only then.</summary>
public class TorchSharpScalarRaceTests
{
    private static Func<int> FailingFirst(Exception first, List<int> attempts) => () =>
    {
        attempts.Add(attempts.Count + 1);
        if (attempts.Count == 1) throw first;
        return 42;
    };

    [Theory]
    [InlineData("Unknown scalar type.\nException raised from type at /pytorch/c10/core/Scalar.h:339")]
    [InlineData("Expected false to be true, but got false.\nException raised from toFloat at /pytorch/c10/core/Scalar.h:140")]
    public void TheRaceIsExplainedAndTheWorkRunsOnceMore(string message)
    {
        var attempts = new List<int>();
        var log = new StringWriter();
        Assert.Equal(42, TorchSharpScalarRace.RunOnceMore(FailingFirst(new ExternalException(message), attempts), log, "Training again."));
        Assert.Equal([1, 2], attempts);
        Assert.Contains($"ExternalException: {message.Split('\n')[0]}", log.ToString());
        Assert.Contains(TorchSharpScalarRace.Explanation, log.ToString());
        Assert.Contains("Training again.", log.ToString());
    }

    [Fact]
    public void OtherErrorsAndASecondRacePropagate()
    {
        var attempts = new List<int>();
        var other = new ExternalException("Expected a proper Tensor but got None");
        Assert.Same(other, Assert.Throws<ExternalException>(() => TorchSharpScalarRace.RunOnceMore(FailingFirst(other, attempts), new StringWriter(), "again")));
        Assert.Equal([1], attempts);

        int calls = 0;
        var race = new ExternalException("Unknown scalar type.");
        Assert.Throws<ExternalException>(() => TorchSharpScalarRace.RunOnceMore<int>(() => { calls++; throw race; }, new StringWriter(), "again"));
        Assert.Equal(2, calls);
    }
}
