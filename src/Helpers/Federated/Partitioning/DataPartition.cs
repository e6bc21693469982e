using System.Globalization;
using System.Text;

namespace ModelSecurity.Federated.Partitioning;

/// <summary>
/// A split of a data set's examples among N clients: each example belongs to exactly one client. Made by
/// <see cref="Partitioner"/>; turned into clients by <see cref="FederatedClients.Create"/>.
/// </summary>
public sealed class DataPartition
{
    private readonly int[][] _parts;
    private readonly int[,] _labelCounts;

    /// <summary>Checks and wraps a partition of examples 0 … <paramref name="labels"/>.Length − 1.</summary>
    /// <param name="method">How it was made, e.g. "Dirichlet(α = 0.1)".</param>
    /// <param name="parts">The example indices of each client.</param>
    /// <param name="labels">The label of every example of the data set.</param>
    /// <param name="numClasses">Number of classes.</param>
    /// <exception cref="ArgumentException">An index is out of range or appears twice, or some example is in no part.</exception>
    public DataPartition(string method, IReadOnlyList<int[]> parts, IReadOnlyList<long> labels, int numClasses)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(method);
        ArgumentNullException.ThrowIfNull(parts);
        ArgumentNullException.ThrowIfNull(labels);
        Guard.AtLeast(numClasses, 1, nameof(numClasses));
        if (parts.Count == 0) throw new ArgumentException("A partition needs at least one client.", nameof(parts));
        var seen = new bool[labels.Count];
        _labelCounts = new int[parts.Count, numClasses];
        for (int k = 0; k < parts.Count; k++)
            foreach (int i in parts[k] ?? throw new ArgumentException($"Part {k} is null.", nameof(parts)))
            {
                if (i < 0 || i >= labels.Count)
                    throw new ArgumentException($"Client {k}: example index {i} is outside 0 … {labels.Count - 1}.", nameof(parts));
                if (seen[i]) throw new ArgumentException($"Example {i} is given to more than one client (again to client {k}).", nameof(parts));
                seen[i] = true;
                long label = labels[i];
                if (label < 0 || label >= numClasses)
                    throw new ArgumentException($"Example {i} has label {label}, outside 0 … {numClasses - 1}.", nameof(labels));
                _labelCounts[k, label]++;
            }
        int missing = Array.IndexOf(seen, false);
        if (missing >= 0) throw new ArgumentException($"Example {missing} is given to no client; a partition must cover every example.", nameof(parts));
        Method = method;
        _parts = parts.Select(p => p.ToArray()).ToArray();
        ExampleCount = labels.Count;
        NumClasses = numClasses;
    }

    /// <summary>How the partition was made, e.g. "IID" or "Dirichlet(α = 0.1)".</summary>
    public string Method { get; }

    /// <summary>Number of clients N.</summary>
    public int ClientCount => _parts.Length;

    /// <summary>Number of examples of the partitioned data set.</summary>
    public int ExampleCount { get; }

    /// <summary>Number of classes.</summary>
    public int NumClasses { get; }

    /// <summary>A copy of the example indices of client <paramref name="client"/>.</summary>
    public int[] Indices(int client) => (int[])Part(client).Clone();

    /// <summary>Examples per client.</summary>
    public int[] Sizes => _parts.Select(p => p.Length).ToArray();

    /// <summary>Number of examples of class c held by client k, indexed [k, c] (a copy).</summary>
    public int[,] LabelCounts => (int[,])_labelCounts.Clone();

    /// <summary>
    /// How far the clients' label distributions are from the whole data set's: the mean over clients of the total
    /// variation distance ½ Σ_c |p_k(c) − p(c)|, between 0 (every client sees the global mix) and nearly 1.
    /// </summary>
    public double MeanLabelSkew()
    {
        var total = new double[NumClasses];
        for (int k = 0; k < ClientCount; k++)
            for (int c = 0; c < NumClasses; c++) total[c] += _labelCounts[k, c];
        double sum = 0;
        for (int k = 0; k < ClientCount; k++)
        {
            double distance = 0;
            for (int c = 0; c < NumClasses; c++)
                distance += Math.Abs((double)_labelCounts[k, c] / _parts[k].Length - total[c] / ExampleCount);
            sum += distance / 2;
        }
        return sum / ClientCount;
    }

    /// <summary>A table: one row per client with its size and class counts.</summary>
    public string Describe(int maxClients = 20)
    {
        var culture = CultureInfo.InvariantCulture;
        var text = new StringBuilder();
        text.AppendLine(culture, $"{Method}: {ExampleCount} examples over {ClientCount} clients, mean label skew {MeanLabelSkew():F3}");
        text.Append("client   size |");
        for (int c = 0; c < NumClasses; c++) text.Append(culture, $" {c,5}");
        text.AppendLine();
        for (int k = 0; k < Math.Min(ClientCount, maxClients); k++)
        {
            text.Append(culture, $"{k,6} {_parts[k].Length,6} |");
            for (int c = 0; c < NumClasses; c++) text.Append(culture, $" {_labelCounts[k, c],5}");
            text.AppendLine();
        }
        if (ClientCount > maxClients) text.AppendLine(culture, $"… {ClientCount - maxClients} more clients");
        return text.ToString();
    }

    /// <inheritdoc />
    public override string ToString() =>
        $"{Method}: {ExampleCount} examples over {ClientCount} clients ({_parts.Min(p => p.Length)} to {_parts.Max(p => p.Length)} each)";

    private int[] Part(int client)
    {
        if (client < 0 || client >= ClientCount)
            throw new ArgumentOutOfRangeException(nameof(client), client, $"The partition has clients 0 … {ClientCount - 1}.");
        return _parts[client];
    }
}
