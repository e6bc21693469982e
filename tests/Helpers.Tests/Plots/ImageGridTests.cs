using ModelSecurity.Plots;
using static TorchSharp.torch;

namespace ModelSecurity.Tests.Plots;

public class ImageGridTests
{
    [Fact]
    public void CaptionsAreEncodedAndKeepTheirLineBreaks()
    {
        using var scope = NewDisposeScope();
        var grid = new ImageGrid("t").AddRow("row <1>", zeros(2, 1, 4, 4), ["Coat\n→ Shirt 52%", "a<b"]);
        string html = grid.ToHtml();
        Assert.Contains("Coat<br/>→ Shirt 52%", html);
        Assert.Contains("a&lt;b", html);
        Assert.Contains("row &lt;1&gt;", html);
        Assert.Equal(2, html.Split("data:image/png;base64,").Length - 1);
    }
}
