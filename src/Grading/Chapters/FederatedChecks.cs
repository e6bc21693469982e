using ModelSecurity.Federated;
using ModelSecurity.Federated.SecureAggregation;
using ModelSecurity.Federated.Strategies;
using static ModelSecurity.Grading.Chapters.ChapterData;

namespace ModelSecurity.Grading.Chapters;

/// <summary>
/// Exercise set <c>06-federated-learning</c> (notebooks/06-federated-learning.ipynb):
/// <c>weighted-average</c> (<c>float[] WeightedAverage(IReadOnlyList&lt;float[]&gt; deltas, IReadOnlyList&lt;int&gt; sampleCounts)</c>:
/// Σ_k (n_k / n) Δ_k), compared with <see cref="FedAvg.WeightedMean"/>;
/// <c>trimmed-mean</c> (<c>float[] TrimmedMean(IReadOnlyList&lt;float[]&gt; updates, int trimPerSide)</c>: per coordinate,
/// drop the t largest and t smallest values and average the rest), compared with <see cref="Federated.Strategies.TrimmedMean"/>;
/// <c>pairwise-masks</c> (<c>uint[] MaskInput(int u, uint[] input, IReadOnlyDictionary&lt;int, uint[]&gt; pairMasks)</c>:
/// y_u = x_u + Σ_{v &gt; u} m_uv − Σ_{v &lt; u} m_uv mod 2³²), compared with the sign rule of
/// <see cref="SecureAggregationClient.MaskInput"/> and checked against <see cref="SecureAggregationProtocol.Unmask"/> after a dropout.
/// And the judgement exercise <c>stealthy-shift</c> (<c>float[] CraftUpdate(IReadOnlyList&lt;float[]&gt; ownUpdates, int clientsPerRound)</c>:
/// the update every colluder sends), graded by its outcome on fresh rounds: the server drops updates far from the crowd
/// (<see cref="OutlierFilter"/>) and takes the coordinate-wise median of the rest, and the colluders must still drag
/// the aggregate down by at least <see cref="RequiredShift"/> honest standard deviations per coordinate on average.
/// Inputs are hand-made, drawn from fixed seeds, or fresh (<see cref="FreshInputs"/>) so the submission cannot predict them.
/// </summary>
internal static class FederatedChecks
{
    private const string Set = "06-federated-learning";

    [ExerciseCheck(Set, "weighted-average")]
    private static CheckResult WeightedAverage(IExerciseContext ctx)
    {
        var average = ctx.Evaluate<Func<IReadOnlyList<float[]>, IReadOnlyList<int>, float[]>>("WeightedAverage");

        // Hand-made: two clients, one with three times the data of the other.
        var handDeltas = new[] { new float[] { 1, 0, -2 }, new float[] { 5, 4, 2 } };
        var handCounts = new[] { 30, 10 };
        var problem = Compare(average, handDeltas, handCounts, "WeightedAverage([1, 0, −2] from 30 examples, [5, 4, 2] from 10 examples)");
        if (problem is not null) return CheckResult.Fail(problem);

        var random = new Random(6);
        var deltas = Enumerable.Range(0, 7).Select(_ => Enumerable.Range(0, 50).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray()).ToArray();
        var counts = Enumerable.Range(0, 7).Select(_ => random.Next(5, 400)).ToArray();
        problem = Compare(average, deltas, counts, $"WeightedAverage on 7 random updates of 50 values (sample counts {string.Join(", ", counts)})");
        if (problem is not null) return CheckResult.Fail(problem);

        // Fresh: updates and sample counts the submission cannot predict.
        var fresh = FreshInputs.NewRandom();
        int clients = fresh.Next(2, 10), length = fresh.Next(10, 60);
        var freshDeltas = Enumerable.Range(0, clients).Select(_ => Enumerable.Range(0, length).Select(_ => (float)(fresh.NextDouble() * 4 - 2)).ToArray()).ToArray();
        var freshCounts = Enumerable.Range(0, clients).Select(_ => fresh.Next(1, 1000)).ToArray();
        problem = Compare(average, freshDeltas, freshCounts, $"WeightedAverage on {clients} random updates of {length} values (sample counts {string.Join(", ", freshCounts)}, random inputs)");
        if (problem is not null) return CheckResult.Fail(problem);

        var inputCopy = deltas.Select(d => (float[])d.Clone()).ToArray();
        average(deltas, counts);
        if (!deltas.Zip(inputCopy).All(p => p.First.SequenceEqual(p.Second)))
            return CheckResult.Fail("WeightedAverage changed the client updates it was given; write the result into a new array.");
        return CheckResult.Pass("WeightedAverage = Σ_k (n_k / n) Δ_k, the same as FedAvg.WeightedMean on hand-made, seeded and fresh random updates");
    }

    private static string? Compare(Func<IReadOnlyList<float[]>, IReadOnlyList<int>, float[]> average, float[][] deltas, int[] counts, string call)
    {
        var updates = deltas.Select((d, k) => new ClientUpdate(k, (float[])d.Clone(), counts[k])).ToList();
        double[] expected = FedAvg.WeightedMean(updates);
        var got = average(deltas.Select(d => (float[])d.Clone()).ToArray(), counts.ToArray());
        if (got is null) return $"{call} returned null; return a new float[] with one value per parameter.";
        if (got.Length != expected.Length) return $"{call} returned {got.Length} values; expected {expected.Length}, one per parameter.";
        if (Close(got, expected)) return null;

        int length = expected.Length;
        double total = counts.Sum(c => (double)c);
        double[] plain = new double[length], summed = new double[length];
        for (int k = 0; k < deltas.Length; k++)
            for (int i = 0; i < length; i++)
            {
                plain[i] += deltas[k][i] / deltas.Length;
                summed[i] += counts[k] * (double)deltas[k][i];
            }
        int first = Enumerable.Range(0, length).First(i => Math.Abs(got[i] - expected[i]) > Tolerance(expected[i]));
        string hint =
            Close(got, plain) ? "every client got the same weight; weight client k by n_k / n, its share of all the examples in the round"
            : Close(got, summed) ? "the weights n_k are not normalised; divide by n = Σ_k n_k (the weights must sum to 1)"
            : Close(got, summed.Select(s => s / deltas.Length).ToArray()) ? "divide by the total number of examples n = Σ_k n_k, not by the number of clients"
            : got.Any(float.IsNaN) ? "NaN values: check for a division by zero (integer division n_k / n is 0 in C#: convert to double first)"
            : got.All(v => v == 0) ? "every value is 0: n_k / n with two ints is an integer division; write (double)n_k / n"
            : "for every coordinate i, result[i] = Σ_k (n_k / n) · deltas[k][i] with n = Σ_k n_k, computed in double";
        return $"{call}: value {first} is {F(got[first])}, expected {F(expected[first])}. Hint: {hint}.";
    }

    private static double Tolerance(double expected) => 1e-5 * Math.Max(1, Math.Abs(expected));

    private static bool Close(float[] got, double[] expected) =>
        got.Length == expected.Length && got.Zip(expected).All(p => Math.Abs(p.First - p.Second) <= Tolerance(p.Second));

    [ExerciseCheck(Set, "trimmed-mean")]
    private static CheckResult TrimmedMeanCheck(IExerciseContext ctx)
    {
        var trimmed = ctx.Evaluate<Func<IReadOnlyList<float[]>, int, float[]>>("TrimmedMean");

        // Hand-made: five clients, the last one malicious and huge in coordinate 0, the first one tiny in coordinate 1.
        var hand = new[]
        {
            new float[] { 1, -100, 3 },
            new float[] { 2, 1, 3 },
            new float[] { 3, 2, 3 },
            new float[] { 4, 3, 3 },
            new float[] { 1000, 4, 3 },
        };
        string? problem = CompareTrimmed(trimmed, hand, 1, "TrimmedMean(5 updates [1, −100, 3], [2, 1, 3], [3, 2, 3], [4, 3, 3], [1000, 4, 3], trimPerSide = 1)");
        if (problem is not null) return CheckResult.Fail(problem);

        var random = new Random(16);
        foreach (var (clients, trim) in new[] { (10, 2), (7, 0), (9, 4) })
        {
            var updates = Enumerable.Range(0, clients)
                .Select(_ => Enumerable.Range(0, 40).Select(_ => (float)(random.NextDouble() * 4 - 2)).ToArray()).ToArray();
            problem = CompareTrimmed(trimmed, updates, trim, $"TrimmedMean({clients} random updates of 40 values, trimPerSide = {trim})");
            if (problem is not null) return CheckResult.Fail(problem);
        }
        // Fresh last: a number of clients, a trim and updates the submission cannot predict.
        var fresh = FreshInputs.NewRandom();
        int freshClients = fresh.Next(3, 12), freshTrim = fresh.Next(0, (freshClients - 1) / 2 + 1);
        var freshUpdates = Enumerable.Range(0, freshClients)
            .Select(_ => Enumerable.Range(0, 40).Select(_ => (float)(fresh.NextDouble() * 4 - 2)).ToArray()).ToArray();
        problem = CompareTrimmed(trimmed, freshUpdates, freshTrim, $"TrimmedMean({freshClients} random updates of 40 values, trimPerSide = {freshTrim}, random inputs)");
        if (problem is not null) return CheckResult.Fail(problem);
        return CheckResult.Pass("TrimmedMean drops the t largest and t smallest values of every coordinate and averages the rest, as the library's TrimmedMean does");
    }

    private static string? CompareTrimmed(Func<IReadOnlyList<float[]>, int, float[]> trimmed, float[][] vectors, int trim, string call)
    {
        int k = vectors.Length, length = vectors[0].Length;
        var updates = vectors.Select((d, i) => new ClientUpdate(i, (float[])d.Clone(), 1)).ToList();
        // ⌊β·K + 1e-9⌋ = trim for β = trim / K.
        float[] reference = new TrimmedMean(trim / (double)k).Aggregate(1, new float[length], updates);
        double[] expected = reference.Select(v => (double)v).ToArray();
        var copies = vectors.Select(v => (float[])v.Clone()).ToArray();
        var got = trimmed(copies, trim);
        if (got is null) return $"{call} returned null; return a new float[] with one value per coordinate.";
        if (got.Length != length) return $"{call} returned {got.Length} values; expected {length}, one per coordinate.";
        if (Close(got, expected))
        {
            if (!copies.Zip(vectors).All(p => p.First.SequenceEqual(p.Second)))
                return $"{call} gave the right answer but changed the updates it was given (sorted them in place?); copy each coordinate's values into a separate array before sorting.";
            return null;
        }

        double[] Per(Func<double[], double> f) => Enumerable.Range(0, length).Select(i => f(vectors.Select(v => (double)v[i]).Order().ToArray())).ToArray();
        var divideByAll = Per(c => c.Skip(trim).Take(k - 2 * trim).Sum() / k);
        var topOnly = Per(c => c.Take(k - 2 * trim).Average());
        var bottomOnly = Per(c => c.Skip(trim).Average());
        var topOnlyOnce = Per(c => c.Take(k - trim).Average());
        var plainMean = Per(c => c.Average());
        var offByOne = Per(c => k - 2 * (trim + 1) > 0 ? c.Skip(trim + 1).Take(k - 2 * (trim + 1)).Average() : double.NaN);
        // Trimming whole clients by the sum of their update instead of coordinate by coordinate.
        var byClient = vectors.OrderBy(v => v.Sum(x => (double)x)).Skip(trim).Take(k - 2 * trim).ToArray();
        var wholeClients = Enumerable.Range(0, length).Select(i => byClient.Average(v => (double)v[i])).ToArray();
        int first = Enumerable.Range(0, length).First(i => !(Math.Abs(got[i] - expected[i]) <= Tolerance(expected[i])));
        string hint =
            Close(got, plainMean) && trim > 0 ? "nothing was trimmed: drop the trimPerSide smallest AND the trimPerSide largest values of each coordinate"
            : Close(got, divideByAll) ? "divide by the number of values kept, K − 2·trimPerSide, not by K"
            : Close(got, topOnly) ? "only the largest values were dropped (2·trimPerSide of them); drop trimPerSide from each end of the sorted values"
            : Close(got, bottomOnly) || Close(got, topOnlyOnce) ? "only one end was trimmed; drop trimPerSide values from the bottom AND trimPerSide from the top"
            : Close(got, offByOne) ? "one value too many was dropped from each side; keep sorted[t] … sorted[K − t − 1]"
            : Close(got, wholeClients) ? "whole clients were dropped; the trimmed mean works coordinate by coordinate — sort the K values of each coordinate separately"
            : "for every coordinate i, sort the K values updates[k][i], keep sorted[t] … sorted[K − t − 1], and average those K − 2t values";
        return $"{call}: value {first} is {F(got[first])}, expected {F(expected[first])}. Hint: {hint}.";
    }

    private static uint[] U(params int[] values) => values.Select(v => unchecked((uint)v)).ToArray();

    [ExerciseCheck(Set, "pairwise-masks")]
    private static CheckResult PairwiseMasks(IExerciseContext ctx)
    {
        var mask = ctx.Evaluate<Func<int, uint[], IReadOnlyDictionary<int, uint[]>, uint[]>>("MaskInput");

        // Hand-made: client 1 of {0, 1, 2}, masks small enough to read.
        var handMasks = new Dictionary<int, uint[]> { [0] = [10, 20], [2] = [100, 200] };
        uint[] handInput = [5, 7];
        uint[] handExpected = [5 - 10 + 100, 7 - 20 + 200];
        var handGot = mask(1, (uint[])handInput.Clone(), new Dictionary<int, uint[]>(handMasks));
        string handCall = "MaskInput(u = 1, input [5, 7], masks {0: [10, 20], 2: [100, 200]})";
        if (handGot is null) return CheckResult.Fail($"{handCall} returned null; return the masked vector y_u.");
        if (!handGot.SequenceEqual(handExpected))
        {
            string shown = "[" + string.Join(", ", FixedPoint.AsSigned(handGot)) + "]";
            string hint =
                handGot.SequenceEqual(U(5 + 10 - 100, 7 + 20 - 200)) ? "the signs are the wrong way round: ADD the mask shared with a peer v > u, SUBTRACT it for v < u"
                : handGot.SequenceEqual(U(5 + 10 + 100, 7 + 20 + 200)) ? "every mask was added; the mask of a pair must enter with + at one end and − at the other, or it will not cancel: + for v > u, − for v < u"
                : handGot.SequenceEqual(U(5 - 10 - 100, 7 - 20 - 200)) ? "every mask was subtracted; + for a peer v > u, − for v < u"
                : handGot.SequenceEqual(handInput) ? "the input came back unmasked; add or subtract every pairwise mask"
                : "y[i] = input[i] + Σ_{v > u} masks[v][i] − Σ_{v < u} masks[v][i], in unchecked uint arithmetic (wrapping modulo 2³²)";
            return CheckResult.Fail($"{handCall} returned {shown} (as signed ints); expected [{string.Join(", ", FixedPoint.AsSigned(handExpected))}]. Hint: {hint}.");
        }

        // Random: five clients, real PRG masks from random seeds, values that wrap around 2³².
        const int length = 64;
        int[] ids = [0, 3, 4, 7, 9];
        // Fresh seeds and inputs for every check, so the submission cannot predict them.
        var random = FreshInputs.NewRandom();
        var seeds = new Dictionary<(int, int), byte[]>();
        foreach (int u in ids)
            foreach (int v in ids.Where(v => v > u))
            {
                var seed = new byte[MaskGenerator.SeedBytes];
                random.NextBytes(seed);
                seeds[(u, v)] = seed;
            }
        byte[] SeedOf(int u, int v) => seeds[(Math.Min(u, v), Math.Max(u, v))];
        var inputs = ids.ToDictionary(u => u, _ => Enumerable.Range(0, length).Select(_ => (uint)random.NextInt64(0, 1L << 32)).ToArray());
        var masked = new SortedDictionary<int, uint[]>();
        foreach (int u in ids)
        {
            var peers = ids.Where(v => v != u).ToDictionary(v => v, v => MaskGenerator.Expand(SeedOf(u, v), length));
            var got = mask(u, (uint[])inputs[u].Clone(), peers);
            if (got is null || got.Length != length)
                return CheckResult.Fail($"MaskInput for client {u} of {{{string.Join(", ", ids)}}} returned {(got is null ? "null" : $"{got.Length} values")}; expected {length} values.");
            var expected = (uint[])inputs[u].Clone();
            foreach (var (v, m) in peers)
                if (v > u) FixedPoint.AddInPlace(expected, m);
                else FixedPoint.SubtractInPlace(expected, m);
            if (!got.SequenceEqual(expected))
                return CheckResult.Fail($"MaskInput for client {u} of {{{string.Join(", ", ids)}}} (random 32-bit inputs and AES-CTR masks) differs from the library's " +
                                        "sign rule. The hand-made case passed, so look at wrap-around: do the arithmetic in uint with unchecked(…) " +
                                        "(no long or double, no clamping), and use the peer ids (the dictionary keys), not their positions, to decide the sign.");
            masked[u] = got;
        }

        var sum = new uint[length];
        foreach (var y in masked.Values) FixedPoint.AddInPlace(sum, y);
        var trueSum = new uint[length];
        foreach (var x in inputs.Values) FixedPoint.AddInPlace(trueSum, x);
        if (!sum.SequenceEqual(trueSum))
            return CheckResult.Fail("The masked inputs of five clients do not add up to the sum of their inputs: the masks do not cancel. " +
                                    "Hint: each pair's mask must be added by the smaller id and subtracted by the larger one.");

        // A dropout: client 4 never sends; the survivors reveal their seeds with it and the library's Unmask removes those masks.
        const int dropped = 4;
        var survivors = masked.Where(p => p.Key != dropped).ToDictionary(p => p.Key, p => p.Value);
        var revealed = survivors.Keys.ToDictionary(u => (u, dropped), u => SeedOf(u, dropped));
        uint[] recovered = SecureAggregationProtocol.Unmask(survivors, revealed);
        var survivorSum = new uint[length];
        foreach (var (u, x) in inputs) if (u != dropped) FixedPoint.AddInPlace(survivorSum, x);
        if (!recovered.SequenceEqual(survivorSum))
            return CheckResult.Fail("After client 4 dropped out, SecureAggregationProtocol.Unmask on your masked inputs did not recover the survivors' sum. " +
                                    "Hint: + mask for a peer v > u and − mask for v < u (the library removes masks assuming that rule).");
        return CheckResult.Pass("MaskInput adds the masks of higher-id peers and subtracts those of lower-id peers: the masks cancel in the sum, and the library's Unmask recovers the survivors' sum after a dropout");
    }

    /// <summary>How far (in honest standard deviations, averaged over coordinates) the colluders must drag the median down.</summary>
    internal const double RequiredShift = 0.25;

    /// <summary>The server's filter: drop every update farther from the coordinate-wise median than this many times the median distance.</summary>
    internal const double OutlierFilter = 1.5;

    [ExerciseCheck(Set, "stealthy-shift")]
    private static CheckResult StealthyShift(IExerciseContext ctx)
    {
        var craft = ctx.Evaluate<Func<IReadOnlyList<float[]>, int, float[]>>("CraftUpdate");
        var random = FreshInputs.NewRandom();
        const int rounds = 6, length = 400;
        var shifts = new List<double>();
        for (int round = 0; round < rounds; round++)
        {
            int n = random.Next(20, 31), m = (int)Math.Round(0.3 * n);
            // Honest updates: coordinate j ~ N(μⱼ, σⱼ²), σⱼ log-uniform over a factor 25 (layers differ in scale), μⱼ of the order of σⱼ.
            var sigma = Enumerable.Range(0, length).Select(_ => 0.002 * Math.Exp(random.NextDouble() * Math.Log(25))).ToArray();
            var mu = sigma.Select(s => 0.5 * s * Gaussian(random)).ToArray();
            float[] Draw() => Enumerable.Range(0, length).Select(j => (float)(mu[j] + sigma[j] * Gaussian(random))).ToArray();
            var own = Enumerable.Range(0, m).Select(_ => Draw()).ToArray();
            var others = Enumerable.Range(0, n - m).Select(_ => Draw()).ToArray();

            float[]? crafted = craft(own.Select(u => (float[])u.Clone()).ToArray(), n);
            string call = $"CraftUpdate({m} own honest updates of {length} values, clientsPerRound = {n})";
            if (crafted is null) return CheckResult.Fail($"{call} returned null; return the update (one value per coordinate) that every colluder sends.");
            if (crafted.Length != length) return CheckResult.Fail($"{call} returned {crafted.Length} values; expected {length}, one per coordinate.");
            if (crafted.Any(v => !float.IsFinite(v))) return CheckResult.Fail($"{call} returned NaN or infinite values; the server rejects such updates outright.");

            var updates = others.Select((u, k) => new ClientUpdate(k, u, 1))
                .Concat(Enumerable.Range(0, m).Select(k => new ClientUpdate(n - m + k, (float[])crafted.Clone(), 1))).ToList();
            var kept = Filter(updates, length);
            int keptColluders = kept.Count(u => u.ClientId >= n - m);
            var aggregate = new CoordinateWiseMedian().Aggregate(1, new float[length], kept);
            double shift = Enumerable.Range(0, length).Average(j => (aggregate[j] - mu[j]) / sigma[j]);
            shifts.Add(shift);
            if (keptColluders == 0)
                return CheckResult.Fail($"{call}: the server's filter dropped all {m} colluders' updates (each was more than {F(OutlierFilter)}× the median " +
                                        $"distance from the coordinate-wise median), so the median saw only honest clients (shift {F(shift)} σ). " +
                                        "Hint: an update that is far from the honest ones is easy to spot and wasted; stay within the honest spread of every coordinate.");
        }
        double mean = shifts.Average();
        string measured = $"average shift of the median per coordinate over {rounds} fresh rounds: {F(mean)} honest standard deviations " +
                          $"({string.Join(", ", shifts.Select(F))})";
        if (mean > -RequiredShift)
        {
            string hint = mean > 0
                ? "the aggregate moved up, or not at all: send values BELOW the honest mean in every coordinate"
                : "the colluders passed the filter but moved the median too little; place every coordinate further below the honest mean, " +
                  "in units of that coordinate's own spread (estimate μⱼ and σⱼ from your own updates), without leaving the honest range";
            return CheckResult.Fail($"The colluders must drag the median down by at least {F(RequiredShift)} honest standard deviations per coordinate; {measured}. Hint: {hint}.");
        }
        return CheckResult.Pass($"Your colluders passed the server's outlier filter and dragged the median down: {measured} (needed ≤ −{F(RequiredShift)})");
    }

    /// <summary>Keeps the updates whose L2 distance to the coordinate-wise median is at most <see cref="OutlierFilter"/> × the median distance.</summary>
    private static List<ClientUpdate> Filter(IReadOnlyList<ClientUpdate> updates, int length)
    {
        var median = new CoordinateWiseMedian().Aggregate(1, new float[length], updates);
        var distances = updates.Select(u => Math.Sqrt(u.Delta.Select((v, j) => (double)(v - median[j]) * (v - median[j])).Sum())).ToArray();
        double typical = distances.Order().ElementAt(distances.Length / 2);
        return updates.Where((_, k) => distances[k] <= OutlierFilter * typical).ToList();
    }
}
