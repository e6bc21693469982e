using System.Globalization;
using ModelSecurity.Data;
using ModelSecurity.Privacy.Mechanisms;

namespace ModelSecurity.Federated.Partitioning;

/// <summary>
/// The usual ways to deal a data set out to N simulated clients: IID (everyone gets a random, representative share),
/// Dirichlet(α) label skew (Hsu et al. 2019: for each class, the shares of the N clients are drawn from Dir(α); small α
/// gives each client a few dominant classes, large α approaches IID), and McMahan et al.'s pathological label shards
/// (sort by label, cut into 2N shards, give every client 2). All are deterministic for a given seed.
/// </summary>
public static class Partitioner
{
    /// <summary>Shuffles the examples and deals them into N parts whose sizes differ by at most one.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="clients"/> is less than 1 or more than the examples.</exception>
    public static DataPartition Iid(ImageDataset data, int clients, int seed = 0)
    {
        long[] labels = Labels(data, clients);
        int[] order = Permutation(labels.Length, new Random(seed));
        return new DataPartition("IID", Split(order, clients), labels, data.NumClasses);
    }

    /// <summary>
    /// Label skew: for every class c, proportions p_c ~ Dir(α, …, α) over the N clients, and the examples of class c
    /// (shuffled) are cut in those proportions. A draw that leaves a client with fewer than
    /// <paramref name="minimumPerClient"/> examples is redrawn (as in Li et al.'s NIID-Bench), up to 1000 times.
    /// </summary>
    /// <param name="data">The data set.</param>
    /// <param name="clients">N ≥ 1.</param>
    /// <param name="alpha">Concentration α &gt; 0: 0.1 is strongly skewed, 1 moderately, 100 nearly IID.</param>
    /// <param name="seed">Seed.</param>
    /// <param name="minimumPerClient">Fewest examples a client may get (≥ 1).</param>
    /// <exception cref="ArgumentOutOfRangeException">α ≤ 0 or not finite, N out of range, or minimumPerClient &lt; 1 or more than n/N.</exception>
    /// <exception cref="InvalidOperationException">No draw in 1000 gave every client enough examples.</exception>
    public static DataPartition Dirichlet(ImageDataset data, int clients, double alpha, int seed = 0, int minimumPerClient = 1)
    {
        if (!double.IsFinite(alpha) || alpha <= 0)
            throw new ArgumentOutOfRangeException(nameof(alpha), alpha,
                $"The Dirichlet concentration α must be a finite number > 0 (0.1: few classes per client; 100: nearly IID); got {alpha}.");
        long[] labels = Labels(data, clients);
        if (minimumPerClient < 1 || (long)minimumPerClient * clients > labels.Length)
            throw new ArgumentOutOfRangeException(nameof(minimumPerClient), minimumPerClient,
                $"minimumPerClient must lie in 1 … {labels.Length / clients} ({labels.Length} examples, {clients} clients).");

        var byClass = Enumerable.Range(0, data.NumClasses).Select(_ => new List<int>()).ToArray();
        for (int i = 0; i < labels.Length; i++) byClass[labels[i]].Add(i);
        var random = new Random(seed);
        const int attempts = 1000;
        for (int attempt = 0; attempt < attempts; attempt++)
        {
            var parts = Enumerable.Range(0, clients).Select(_ => new List<int>()).ToArray();
            foreach (var members in byClass)
            {
                if (members.Count == 0) continue;
                int[] shuffled = members.ToArray();
                Shuffle(shuffled, random);
                double[] p = SampleDirichlet(clients, alpha, random);
                double cumulative = 0;
                int start = 0;
                for (int k = 0; k < clients; k++)
                {
                    cumulative += p[k];
                    int end = k == clients - 1 ? shuffled.Length : Math.Min(shuffled.Length, (int)Math.Round(cumulative * shuffled.Length));
                    for (int i = start; i < end; i++) parts[k].Add(shuffled[i]);
                    start = Math.Max(start, end);
                }
            }
            if (parts.All(p => p.Count >= minimumPerClient))
                return new DataPartition(string.Create(CultureInfo.InvariantCulture, $"Dirichlet(α = {alpha:G4})"),
                    parts.Select(p => p.ToArray()).ToArray(), labels, data.NumClasses);
        }
        throw new InvalidOperationException(
            $"In {attempts} draws of Dirichlet(α = {alpha}) some client always got fewer than {minimumPerClient} of the {labels.Length} examples. " +
            "Use a larger α, fewer clients, or a smaller minimumPerClient.");
    }

    /// <summary>
    /// McMahan et al. (2017)'s non-IID split: sort the examples by label (ties in random order), cut the sorted list into
    /// N × <paramref name="shardsPerClient"/> shards of (nearly) equal size, and give each client
    /// <paramref name="shardsPerClient"/> shards at random — so most clients see only two classes.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">N or shardsPerClient is less than 1, or there are fewer examples than shards.</exception>
    public static DataPartition LabelShards(ImageDataset data, int clients, int seed = 0, int shardsPerClient = 2)
    {
        long[] labels = Labels(data, clients);
        Guard.AtLeast(shardsPerClient, 1, nameof(shardsPerClient));
        long shardCount = (long)clients * shardsPerClient;
        if (shardCount > labels.Length)
            throw new ArgumentOutOfRangeException(nameof(shardsPerClient), shardsPerClient,
                $"{clients} clients × {shardsPerClient} shards = {shardCount} shards, more than the {labels.Length} examples.");
        var random = new Random(seed);
        int[] order = Permutation(labels.Length, random);
        int[] sorted = order.OrderBy(i => labels[i]).ToArray(); // stable: ties keep their random order
        int[][] shards = Split(sorted, (int)shardCount);
        int[] assignment = Permutation((int)shardCount, random);
        var parts = new int[clients][];
        for (int k = 0; k < clients; k++)
            parts[k] = Enumerable.Range(0, shardsPerClient).SelectMany(s => shards[assignment[k * shardsPerClient + s]]).ToArray();
        return new DataPartition($"label shards ({shardsPerClient} per client)", parts, labels, data.NumClasses);
    }

    /// <summary>A Dir(α, …, α) draw of <paramref name="count"/> proportions (normalised Gamma(α, 1) variates, in log space so tiny α does not underflow).</summary>
    internal static double[] SampleDirichlet(int count, double alpha, Random random)
    {
        var logs = new double[count];
        for (int k = 0; k < count; k++) logs[k] = LogGamma(alpha, random);
        double max = logs.Max();
        double sum = 0;
        var p = new double[count];
        for (int k = 0; k < count; k++) sum += p[k] = Math.Exp(logs[k] - max);
        for (int k = 0; k < count; k++) p[k] /= sum;
        return p;
    }

    /// <summary>log of a Gamma(α, 1) variate: Marsaglia &amp; Tsang (2000), with G(α) = G(α + 1)·U^(1/α) for α &lt; 1.</summary>
    private static double LogGamma(double alpha, Random random)
    {
        if (alpha < 1)
            return LogGamma(alpha + 1, random) + Math.Log(1.0 - random.NextDouble()) / alpha;
        double d = alpha - 1.0 / 3, c = 1 / Math.Sqrt(9 * d);
        while (true)
        {
            double x = NoiseSampler.StandardNormal(random), v = 1 + c * x;
            if (v <= 0) continue;
            v = v * v * v;
            double u = 1.0 - random.NextDouble();
            if (Math.Log(u) < 0.5 * x * x + d - d * v + d * Math.Log(v)) return Math.Log(d * v);
        }
    }

    private static long[] Labels(ImageDataset data, int clients)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (clients < 1 || clients > data.Count)
            throw new ArgumentOutOfRangeException(nameof(clients), clients,
                $"The number of clients must lie in 1 … {data.Count} (data set '{data.Name}' has {data.Count} examples); got {clients}.");
        return data.Labels.data<long>().ToArray();
    }

    private static int[] Permutation(int count, Random random)
    {
        int[] order = Enumerable.Range(0, count).ToArray();
        Shuffle(order, random);
        return order;
    }

    /// <summary>Fisher–Yates, spelled out so the order does not depend on the .NET version.</summary>
    private static void Shuffle(int[] values, Random random)
    {
        for (int i = values.Length - 1; i > 0; i--)
        {
            int j = random.Next(i + 1);
            (values[i], values[j]) = (values[j], values[i]);
        }
    }

    /// <summary>Consecutive pieces whose sizes differ by at most one.</summary>
    private static int[][] Split(int[] values, int parts)
    {
        var result = new int[parts][];
        int start = 0;
        for (int k = 0; k < parts; k++)
        {
            int size = values.Length / parts + (k < values.Length % parts ? 1 : 0);
            result[k] = values.AsSpan(start, size).ToArray();
            start += size;
        }
        return result;
    }
}
