using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace ModelSecurity.Federated;

/// <summary>
/// What a federated client and server exchange: a model's parameters as one flat float32 vector, in the order of
/// <c>model.parameters()</c> (weights and biases; the course's models have no buffers). A vector of P parameters is
/// 4·P bytes on the wire, so the traffic of a round is measurable: <see cref="ByteSize"/>.
/// </summary>
public static class ModelWeights
{
    /// <summary>Bytes per exchanged parameter (float32).</summary>
    public const int BytesPerParameter = sizeof(float);

    /// <summary>Number of scalar parameters P of a model (the length of its vector).</summary>
    public static int Count(nn.Module model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var parameters = model.parameters().ToList();
        if (parameters.FirstOrDefault(p => p.dtype != ScalarType.Float32) is { } other)
            throw new ArgumentException($"Flat vectors hold float32 parameters; this model has a {other.dtype} parameter. Convert it with model.to(ScalarType.Float32).", nameof(model));
        long count = parameters.Sum(p => p.numel());
        if (count > int.MaxValue)
            throw new ArgumentException($"The model has {count} parameters; flat vectors hold at most {int.MaxValue}.", nameof(model));
        return (int)count;
    }

    /// <summary>Bytes of one upload or download of <paramref name="parameterCount"/> parameters: 4 × P.</summary>
    public static long ByteSize(int parameterCount) => (long)BytesPerParameter * parameterCount;

    /// <summary>A copy of the model's parameters as a flat vector on the host (wherever the model lives).</summary>
    public static float[] Get(nn.Module model)
    {
        ArgumentNullException.ThrowIfNull(model);
        Count(model);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var parts = model.parameters().Select(p => p.detach().flatten()).ToList();
        if (parts.Count == 0) return [];
        Tensor flat = cat(parts, 0).cpu().contiguous();
        return MemoryMarshal.Cast<byte, float>(flat.bytes).ToArray(); // one block copy (data<float>() copies element by element)
    }

    /// <summary>Overwrites the model's parameters with <paramref name="weights"/> (copied to the model's device).</summary>
    /// <exception cref="ArgumentException">The vector's length is not the model's parameter count.</exception>
    public static void Set(nn.Module model, float[] weights)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(weights);
        int count = Count(model);
        if (weights.Length != count)
            throw new ArgumentException(
                $"The model has {count} parameters but the vector holds {weights.Length} values; was it taken from another architecture?",
                nameof(weights));
        var parameters = model.parameters().ToList();
        if (parameters.Count == 0) return;
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        Tensor all = empty(weights.Length, ScalarType.Float32);
        all.bytes = MemoryMarshal.AsBytes(weights.AsSpan());
        all = all.to(parameters[0].device);
        long offset = 0;
        foreach (var p in parameters)
        {
            long n = p.numel();
            p.copy_(all.narrow(0, offset, n).view_as(p));
            offset += n;
        }
    }
}
