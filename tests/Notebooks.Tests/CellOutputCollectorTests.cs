using ModelSecurity.Notebooks.Execution;
using ModelSecurity.Notebooks.Format;

namespace ModelSecurity.Notebooks.Tests;

public class CellOutputCollectorTests
{
    [Fact]
    public void MergesConsecutiveTextOfOneStreamOnly()
    {
        var sink = new CellOutputCollector();
        sink.Add(new StreamOutput("stdout", "a\n"));
        sink.Add(new StreamOutput("stdout", "b\n"));
        Assert.Equal([new StreamOutput("stdout", "a\nb\n")], sink.Outputs);   // reading in between must not lose text
        sink.Add(new StreamOutput("stdout", "c\n"));
        sink.Add(new StreamOutput("stderr", "oops\n"));
        sink.Add(new StreamOutput("stdout", "d\n"));
        Assert.Equal(
            new CellOutput[] { new StreamOutput("stdout", "a\nb\nc\n"), new StreamOutput("stderr", "oops\n"), new StreamOutput("stdout", "d\n") },
            sink.Outputs);
    }

    [Fact]
    public void TenThousandLinesBecomeOneOutputWithEveryLine()
    {
        var sink = new CellOutputCollector();
        for (int i = 0; i < 10_000; i++) sink.Add(new StreamOutput("stdout", $"{i}\n"));
        var output = Assert.IsType<StreamOutput>(Assert.Single(sink.Outputs));
        Assert.Equal(string.Concat(Enumerable.Range(0, 10_000).Select(i => $"{i}\n")), output.Text);
    }
}
