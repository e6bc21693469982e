using System.Text;
using System.Text.Json.Nodes;
using ModelSecurity.Kernel.Analysis;
using ModelSecurity.Kernel.Protocol;

namespace ModelSecurity.Kernel.Tests;

/// <summary>The wire format, signatures and connection files, without sockets.</summary>
public class ProtocolTests
{
    private static JupyterMessage Request(string type = "kernel_info_request") =>
        JupyterMessage.Create("client-session", type, new JsonObject { ["code"] = "1 + 1 // ü" }, null, [Encoding.ASCII.GetBytes("client-id")]);

    [Fact]
    public void EncodedMessagesDecodeWithTheSameKey()
    {
        var codec = new WireCodec(new MessageSigner("secret"));
        var frames = codec.Encode(Request());
        Assert.Equal("client-id", Encoding.ASCII.GetString(frames[0]));
        Assert.Equal("<IDS|MSG>", Encoding.ASCII.GetString(frames[1]));
        Assert.Equal(64, frames[2].Length); // hex of HMAC-SHA256

        var decoded = codec.Decode(frames);
        Assert.Equal("kernel_info_request", decoded.MsgType);
        Assert.Equal("1 + 1 // ü", (string?)decoded.Content["code"]);
        Assert.Equal("5.3", (string?)decoded.Header["version"]);
        Assert.Equal("client-id", Encoding.ASCII.GetString(Assert.Single(decoded.Identities)));
    }

    [Fact]
    public void SignatureIsHmacSha256OfTheFourJsonFrames()
    {
        var frames = new WireCodec(new MessageSigner("secret")).Encode(Request());
        using var hmac = new System.Security.Cryptography.HMACSHA256(Encoding.UTF8.GetBytes("secret"));
        byte[] signed = frames.Skip(3).Take(4).SelectMany(f => f).ToArray();
        Assert.Equal(Convert.ToHexStringLower(hmac.ComputeHash(signed)), Encoding.ASCII.GetString(frames[2]));
    }

    [Fact]
    public void WrongKeyOrTamperedContentIsRejected()
    {
        var frames = new WireCodec(new MessageSigner("other key")).Encode(Request());
        var e = Assert.Throws<InvalidMessageException>(() => new WireCodec(new MessageSigner("secret")).Decode(frames));
        Assert.True(e.SignatureProblem);

        var good = new WireCodec(new MessageSigner("secret")).Encode(Request());
        good[6] = Encoding.UTF8.GetBytes("{\"code\":\"Environment.Exit(1)\"}");
        Assert.True(Assert.Throws<InvalidMessageException>(() => new WireCodec(new MessageSigner("secret")).Decode(good)).SignatureProblem);
    }

    [Fact]
    public void EmptyKeyMeansNoSigning()
    {
        var codec = new WireCodec(new MessageSigner(""));
        var frames = codec.Encode(Request());
        Assert.Empty(frames[2]);
        frames[2] = "whatever"u8.ToArray();
        Assert.Equal("kernel_info_request", codec.Decode(frames).MsgType);
    }

    [Fact]
    public void MalformedFramesAreRejected()
    {
        var codec = new WireCodec(new MessageSigner(""));
        Assert.Throws<InvalidMessageException>(() => codec.Decode([Encoding.ASCII.GetBytes("no delimiter")]));
        Assert.Throws<InvalidMessageException>(() => codec.Decode([WireCodec.Delimiter, [], "{}"u8.ToArray()]));
        Assert.Throws<InvalidMessageException>(() => codec.Decode([WireCodec.Delimiter, [], "[]"u8.ToArray(), "{}"u8.ToArray(), "{}"u8.ToArray(), "{}"u8.ToArray()]));
    }

    [Fact]
    public void ReplayedSignaturesAreRefused()
    {
        var history = new SignatureHistory(capacity: 2);
        Assert.True(history.TryAdd("a"));
        Assert.False(history.TryAdd("a"));
        Assert.True(history.TryAdd("b"));
        Assert.True(history.TryAdd("c")); // "a" forgotten: bounded memory
        Assert.True(history.TryAdd("a"));
    }

    [Fact]
    public void RepliesCarryTheRequestAsParent()
    {
        var request = Request("execute_request");
        var reply = JupyterMessage.Create("kernel-session", "execute_reply", new JsonObject { ["status"] = "ok" }, request);
        Assert.Equal(request.MsgId, (string?)reply.ParentHeader["msg_id"]);
        Assert.Same(request.Identities, reply.Identities);
        Assert.Equal("kernel-session", (string?)reply.Header["session"]);
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$", (string?)reply.Header["date"]);
    }

    [Fact]
    public void ConnectionFileIsRead()
    {
        string file = Path.GetTempFileName();
        File.WriteAllText(file, """
            {"shell_port": 5001, "iopub_port": 5002, "stdin_port": 5003, "control_port": 5004, "hb_port": 5005,
             "ip": "127.0.0.1", "key": "k", "transport": "tcp", "signature_scheme": "hmac-sha256", "kernel_name": ".net-csharp"}
            """);
        var info = ConnectionInfo.Load(file);
        Assert.Equal("tcp://127.0.0.1:5002", info.Endpoint(info.IopubPort));
        Assert.Equal(5005, info.HeartbeatPort);
        Assert.Equal("k", info.Key);

        File.WriteAllText(file, """{"shell_port": 1, "iopub_port": 2, "stdin_port": 3, "control_port": 4, "hb_port": 5, "signature_scheme": "hmac-md5"}""");
        Assert.Contains("hmac-md5", Assert.Throws<InvalidDataException>(() => ConnectionInfo.Load(file)).Message);
        File.WriteAllText(file, """{"shell_port": 1}""");
        Assert.Contains("iopub_port", Assert.Throws<InvalidDataException>(() => ConnectionInfo.Load(file)).Message);
        File.Delete(file);
    }

    [Theory]
    [InlineData("abc", 2, 2)]
    [InlineData("a\U0001F600b", 2, 3)]
    [InlineData("a\U0001F600b", 3, 4)]
    [InlineData("ab", 10, 2)]
    public void CursorPositionsAreCodePoints(string text, int codePoints, int utf16)
    {
        Assert.Equal(utf16, CursorOffsets.ToUtf16(text, codePoints));
        Assert.Equal(Math.Min(codePoints, text.EnumerateRunes().Count()), CursorOffsets.ToCodePoints(text, utf16));
    }

    [Theory]
    [InlineData("", "complete")]
    [InlineData("Console.WriteLine(1);", "complete")]
    [InlineData("#r \"nuget: Foo, 1.0\"\nvar x = 1;", "complete")]
    [InlineData("void F() {", "incomplete")]
    [InlineData("/* open comment", "incomplete")]
    [InlineData("var s = @\"open", "incomplete")]
    [InlineData("int x = ;\n", "invalid")]
    public void CompletenessFollowsTheSyntax(string code, string status) =>
        Assert.Equal(status, CompletenessChecker.Check(code).Status);

    [Fact]
    public void DirectiveLinesAreBlankedWithoutMovingOffsets()
    {
        const string code = "#r \"nuget: Foo, 1.0\"\r\n#!csharp\nvar x = 1;";
        string blanked = AnalysisDocument.BlankDirectives(code);
        Assert.Equal(code.Length, blanked.Length);
        Assert.Equal(code.IndexOf("var", StringComparison.Ordinal), blanked.IndexOf("var", StringComparison.Ordinal));
        Assert.DoesNotContain("nuget", blanked);
        Assert.Contains("\r\n", blanked);
    }
}
