using System.Collections;
using ModelSecurity.Data;
using ModelSecurity.Federated.Partitioning;

namespace ModelSecurity.Federated;

/// <summary>The clients of a simulation, disposed together: <c>using var clients = FederatedClients.Create(train, partition);</c></summary>
public sealed class FederatedClients : IReadOnlyList<FederatedClient>, IDisposable
{
    private readonly FederatedClient[] _clients;

    /// <summary>Wraps clients (taking ownership). Their ids must be 0, 1, …, N − 1 in order.</summary>
    /// <exception cref="ArgumentException">The list is empty or the ids are not 0 … N − 1.</exception>
    public FederatedClients(IEnumerable<FederatedClient> clients)
    {
        ArgumentNullException.ThrowIfNull(clients);
        _clients = clients.ToArray();
        if (_clients.Length == 0) throw new ArgumentException("A simulation needs at least one client.", nameof(clients));
        for (int i = 0; i < _clients.Length; i++)
            if (_clients[i] is null || _clients[i].Id != i)
                throw new ArgumentException($"Client ids must be 0 … {_clients.Length - 1} in order; position {i} holds {(_clients[i] is null ? "null" : $"id {_clients[i].Id}")}.", nameof(clients));
    }

    /// <summary>One client per part of <paramref name="partition"/>, each with a copy of its examples of <paramref name="data"/>.</summary>
    /// <exception cref="ArgumentException">The partition was made for a data set of another size, or a part is empty.</exception>
    public static FederatedClients Create(ImageDataset data, DataPartition partition)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(partition);
        if (partition.ExampleCount != data.Count)
            throw new ArgumentException(
                $"The partition covers {partition.ExampleCount} examples but data set '{data.Name}' has {data.Count}; partition this data set.",
                nameof(partition));
        var clients = new List<FederatedClient>();
        try
        {
            for (int k = 0; k < partition.ClientCount; k++)
            {
                int[] indices = partition.Indices(k);
                if (indices.Length == 0)
                    throw new ArgumentException($"Client {k} of the partition ({partition.Method}) has no examples.", nameof(partition));
                clients.Add(new FederatedClient(k, data.Select(indices.Select(i => (long)i).ToArray())));
            }
            return new FederatedClients(clients);
        }
        catch
        {
            foreach (var c in clients) c.Dispose();
            throw;
        }
    }

    /// <inheritdoc />
    public FederatedClient this[int index] => _clients[index];

    /// <inheritdoc />
    public int Count => _clients.Length;

    /// <summary>Total examples over all clients.</summary>
    public long TotalSamples => _clients.Sum(c => (long)c.SampleCount);

    /// <inheritdoc />
    public IEnumerator<FederatedClient> GetEnumerator() => ((IEnumerable<FederatedClient>)_clients).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>Disposes every client (and so its data).</summary>
    public void Dispose()
    {
        foreach (var c in _clients) c.Dispose();
    }
}
