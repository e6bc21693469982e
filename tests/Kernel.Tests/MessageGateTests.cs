using System.Text;
using System.Text.Json.Nodes;
using ModelSecurity.Kernel.Protocol;

namespace ModelSecurity.Kernel.Tests;

/// <summary>Every message the kernel must drop, and the one it must handle, through the gate its sockets use.</summary>
public class MessageGateTests
{
    private static readonly WireCodec Codec = new(new MessageSigner("secret"));

    private static List<byte[]> Signed(string code = "1 + 1") =>
        Codec.Encode(JupyterMessage.Create("client", "execute_request", new JsonObject { ["code"] = code }, null, [Encoding.ASCII.GetBytes("id")]));

    private static List<byte[]> WithSignature(List<byte[]> frames, string signature)
    {
        var copy = frames.Select(f => f.ToArray()).ToList();
        copy[2] = Encoding.ASCII.GetBytes(signature);
        return copy;
    }

    [Fact]
    public void ASignedMessageIsHandledOnce()
    {
        var gate = new MessageGate(Codec);
        var frames = Signed();
        Assert.NotNull(gate.Admit(frames).Message);
        var (again, why) = gate.Admit(frames);
        Assert.Null(again);
        Assert.Contains("duplicate signature", why);
    }

    [Fact]
    public void AnUpperCasedSignatureIsNotANewMessage()
    {
        var gate = new MessageGate(Codec);
        var frames = Signed();
        string signature = Encoding.ASCII.GetString(frames[2]);
        Assert.NotNull(gate.Admit(frames).Message);
        Assert.Null(gate.Admit(WithSignature(frames, signature.ToUpperInvariant())).Message);
        // Nor before the lower-case original: a re-spelled signature is not the signature.
        var fresh = new MessageGate(Codec);
        var other = Signed("2 + 2");
        string otherSignature = Encoding.ASCII.GetString(other[2]);
        Assert.Null(fresh.Admit(WithSignature(other, otherSignature.ToUpperInvariant())).Message);
        Assert.NotNull(fresh.Admit(other).Message);
        Assert.Null(fresh.Admit(WithSignature(other, otherSignature.ToUpperInvariant())).Message);
    }

    public static TheoryData<string, Func<List<byte[]>, List<byte[]>>> Dropped => new()
    {
        { "unsigned", f => WithSignature(f, "") },
        { "signed with another key", _ => new WireCodec(new MessageSigner("other")).Encode(JupyterMessage.Create("c", "execute_request", new JsonObject(), null, [])) },
        { "truncated signature", f => WithSignature(f, Encoding.ASCII.GetString(f[2])[..32]) },
        { "signature with a trailing space", f => WithSignature(f, Encoding.ASCII.GetString(f[2]) + " ") },
        { "mixed-case signature", f => WithSignature(f, string.Concat(Encoding.ASCII.GetString(f[2]).Select((c, i) => i % 2 == 0 ? char.ToUpperInvariant(c) : c))) },
        { "tampered content", f => { var c = f.Select(x => x.ToArray()).ToList(); c[6] = "{\"code\":\"Environment.Exit(1)\"}"u8.ToArray(); return c; } },
        { "no delimiter", f => f.Where(x => !x.AsSpan().SequenceEqual(WireCodec.Delimiter)).ToList() },
        { "too few frames", f => f.Take(5).ToList() },
    };

    [Theory]
    [MemberData(nameof(Dropped))]
    public void MessagesTheKernelMustDrop(string what, Func<List<byte[]>, List<byte[]>> spoil)
    {
        var gate = new MessageGate(Codec);
        var (message, why) = gate.Admit(spoil(Signed()));
        Assert.True(message is null, what);
        Assert.False(string.IsNullOrEmpty(why));
    }
}
