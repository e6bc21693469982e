using static TorchSharp.torch;

namespace ModelSecurity.Attacks;

/// <summary>
/// Random numbers that belong to an example, not to a batch: example <c>id</c> of stream <c>stream</c> always receives
/// the same values, whatever other examples share its batch. This is what lets an evaluation attack only the points no
/// earlier attack broke (early exit) and still get, per point, exactly the result of attacking every point: with one
/// generator per batch the values an example draws would depend on how many rows come before it.
/// </summary>
public static class ExampleRandom
{
    /// <summary>A <see cref="Random"/> of its own for example <paramref name="id"/> in stream <paramref name="stream"/> (e.g. the restart).</summary>
    public static Random For(int seed, long id, int stream = 0)
    {
        // SplitMix64-style mixing so that neighbouring (seed, id, stream) triples give unrelated sequences.
        ulong z = unchecked((ulong)seed * 0x9E3779B97F4A7C15UL + (ulong)id * 0xBF58476D1CE4E5B9UL + (ulong)stream * 0x94D049BB133111EBUL + 1);
        z = unchecked((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL);
        z = unchecked((z ^ (z >> 27)) * 0x94D049BB133111EBUL);
        z ^= z >> 31;
        return new Random((int)(z & 0x7FFFFFFF));
    }

    /// <summary>Uniform values in [0, 1) shaped like <paramref name="like"/>; row i is drawn from example <paramref name="ids"/>[i]'s stream.</summary>
    public static Tensor Uniform(Tensor like, IReadOnlyList<long> ids, int seed, int stream)
    {
        long perRow = RowSize(like, ids);
        var values = new float[ids.Count * perRow];
        for (int i = 0; i < ids.Count; i++)
        {
            var random = For(seed, ids[i], stream);
            for (long j = 0; j < perRow; j++) values[i * perRow + j] = random.NextSingle();
        }
        return tensor(values, like.shape).to(like.dtype, like.device);
    }

    /// <summary>Standard normal values shaped like <paramref name="like"/> (Box–Muller), row i from example <paramref name="ids"/>[i]'s stream.</summary>
    public static Tensor Normal(Tensor like, IReadOnlyList<long> ids, int seed, int stream)
    {
        long perRow = RowSize(like, ids);
        var values = new float[ids.Count * perRow];
        for (int i = 0; i < ids.Count; i++)
        {
            var random = For(seed, ids[i], stream);
            for (long j = 0; j < perRow; j++)
            {
                double u1 = 1.0 - random.NextDouble(), u2 = random.NextDouble();
                values[i * perRow + j] = (float)(Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2));
            }
        }
        return tensor(values, like.shape).to(like.dtype, like.device);
    }

    /// <summary>
    /// A random start inside the ε-ball like <see cref="Perturbations.RandomStart"/> (uniform per pixel under L∞; a random
    /// direction with a uniform radius under L2), drawn per example.
    /// </summary>
    public static Tensor RandomStart(Tensor like, double epsilon, Norm norm, IReadOnlyList<long> ids, int seed, int stream)
    {
        switch (norm)
        {
            case Norm.LInf:
                return (Uniform(like, ids, seed, stream) * 2 - 1) * epsilon;
            case Norm.L2:
                var direction = Perturbations.SteepestAscent(Normal(like, ids, seed, stream), Norm.L2);
                var radius = new float[ids.Count];
                for (int i = 0; i < ids.Count; i++) radius[i] = (float)(For(seed, ids[i], stream + 7919).NextDouble() * epsilon);
                return direction * Perturbations.ViewPerExample(tensor(radius).to(like.dtype, like.device), like);
            default:
                throw new ArgumentOutOfRangeException(nameof(norm), norm, "Unknown norm; use Norm.LInf or Norm.L2.");
        }
    }

    private static long RowSize(Tensor like, IReadOnlyList<long> ids)
    {
        ArgumentNullException.ThrowIfNull(like);
        ArgumentNullException.ThrowIfNull(ids);
        if (like.ndim < 1 || like.shape[0] != ids.Count)
            throw new ArgumentException($"One example id per row is needed: {ids.Count} ids for shape {Guard.Shape(like)}.", nameof(ids));
        return ids.Count == 0 ? 0 : like.numel() / ids.Count;
    }
}
