using System.Text.Json.Nodes;
using ModelSecurity.Attacks;
using ModelSecurity.Grading.Remote;
using static TorchSharp.torch;

namespace ModelSecurity.Notebooks.Tests;

/// <summary>The data the grader exchanges with a submission's process: round trips, and replies it must refuse.</summary>
public class RemoteCodecTests
{
    private static object? RoundTrip(object? value, Type type) =>
        RemoteCodec.Decode(JsonNode.Parse(RemoteCodec.Encode(value, new RemoteCodec.EncodeState())?.ToJsonString() ?? "null"), type,
            new RemoteCodec.DecodeState(new RemoteCodec.Limits(), null));

    [Fact]
    public void ValuesSurviveTheTrip()
    {
        Assert.True(double.IsNaN((double)RoundTrip(double.NaN, typeof(double))!));
        Assert.Equal(double.NegativeInfinity, RoundTrip(double.NegativeInfinity, typeof(double)));
        Assert.Equal(Norm.L2, RoundTrip(Norm.L2, typeof(Norm)));
        Assert.Equal(new float[] { 1.5f, -2f }, (float[])RoundTrip(new[] { 1.5f, -2f }, typeof(IReadOnlyList<float>))!);
        Assert.Equal((2.5, 3.0), ((double, double))RoundTrip((2.5, 3.0), typeof((double, double)))!);
        var map = (IReadOnlyDictionary<int, uint[]>)RoundTrip(new Dictionary<int, uint[]> { [4] = [1u, 2u] }, typeof(IReadOnlyDictionary<int, uint[]>))!;
        Assert.Equal([1u, 2u], map[4]);
        using var scope = NewDisposeScope();
        var t = tensor(new[] { 1f, float.NaN, 3f, 4f }).reshape(2, 2);
        var back = (Tensor)RoundTrip(t, typeof(Tensor))!;
        Assert.Equal(new long[] { 2, 2 }, back.shape);
        Assert.True(back[0, 1].isnan().item<bool>());
        Assert.Equal(4f, back[1, 1].item<float>());
    }

    public static TheoryData<string, string, Type> Refused => new()
    {
        { "data shorter than the shape", """{"tensor":{"dtype":"Float32","shape":[2,2],"data":"AAAAAA=="}}""", typeof(Tensor) },
        { "a shape too large", """{"tensor":{"dtype":"Float32","shape":[100000,100000,100000],"data":""}}""", typeof(Tensor) },
        { "a negative dimension", """{"tensor":{"dtype":"Float32","shape":[-1],"data":""}}""", typeof(Tensor) },
        { "an unknown dtype", """{"tensor":{"dtype":"ComplexFloat64","shape":[1],"data":"AAAAAAAAAAA="}}""", typeof(Tensor) },
        { "not base64", """{"tensor":{"dtype":"Byte","shape":[1],"data":"!!"}}""", typeof(Tensor) },
        { "a string for a number", "\"nine\"", typeof(double) },
        { "null for a number", "null", typeof(double) },
        { "an object for an array", "{}", typeof(float[]) },
        { "a tuple of the wrong length", "[1]", typeof((double, double)) },
        { "a repeated dictionary key", "[[1,[1]],[1,[2]]]", typeof(IReadOnlyDictionary<int, uint[]>) },
        { "a recipe where data is expected", """{"recipe":"random","parts":[1]}""", typeof(Random) },
        { "a reference to nothing", """{"ref":0}""", typeof(nn.Module<Tensor, Tensor>) },
        { "a type the grader never receives", "{}", typeof(System.IO.FileInfo) },
        { "an enum value that does not exist", "\"L7\"", typeof(Norm) },
    };

    [Theory]
    [MemberData(nameof(Refused))]
    public void UntrustedRepliesAreRefused(string what, string json, Type type)
    {
        var e = Record.Exception(() => RemoteCodec.Decode(JsonNode.Parse(json), type, new RemoteCodec.DecodeState(new RemoteCodec.Limits(), null)));
        Assert.True(e is RemoteProtocolException, $"{what}: {e?.GetType().Name ?? "accepted"}");
    }

    [Fact]
    public void DeepNestingIsRefused()
    {
        string json = string.Concat(Enumerable.Repeat("[", 40)) + string.Concat(Enumerable.Repeat("]", 40));
        Assert.Throws<RemoteProtocolException>(() => RemoteCodec.Decode(JsonNode.Parse(json), typeof(int[][][][][][][][][][][][][][][][][][][][]),
            new RemoteCodec.DecodeState(new RemoteCodec.Limits(MaxDepth: 16), null)));
    }
}
