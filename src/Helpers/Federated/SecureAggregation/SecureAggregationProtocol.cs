namespace ModelSecurity.Federated.SecureAggregation;

/// <summary>
/// A simulation of secure aggregation with pairwise masks (Bonawitz et al. 2017, "Practical Secure Aggregation for
/// Privacy-Preserving Machine Learning"): the server learns Σ_u x_u of the clients' fixed-point inputs, and nothing
/// else about any single x_u, because every y_u it receives is x_u plus masks that look uniformly random modulo 2³².
/// </summary>
/// <remarks>
/// <para>The simulated rounds: (0) every client makes an ECDH key pair and the server relays all public keys;
/// (1) each client u sends y_u = x_u + Σ_{v &gt; u} PRG(s_uv) − Σ_{v &lt; u} PRG(s_uv) mod 2³² (see
/// <see cref="SecureAggregationClient"/>), except the clients that drop out; (2) the server sums what arrived.
/// Without dropouts the pairwise masks cancel exactly in the sum. If client v dropped after round 0, every survivor's
/// y_u still holds ±PRG(s_uv); the survivors reveal s_uv and the server removes those masks
/// (<see cref="Unmask"/>), which yields exactly Σ of the survivors' inputs.</para>
/// <para>What is simplified. The real protocol (i) lets each client Shamir-share its key-agreement secret among the
/// others in round 1, so that any t survivors can reconstruct a dropped client's pairwise seeds and fewer than t
/// learn nothing; here a survivor simply reveals its seed with the dropped client. (ii) It adds a self-mask PRG(b_u),
/// whose seed b_u is also Shamir-shared and is reconstructed only for survivors: without it, a server that pretends u
/// dropped after receiving y_u learns the seeds of u's pairs and hence x_u — the self-mask is what prevents this, and
/// it is left out here. (iii) Messages are relayed through the server encrypted and signed (against an active server);
/// here they are plain method calls. A client with no peers (a single participant) is sent unmasked.</para>
/// </remarks>
public static class SecureAggregationProtocol
{
    /// <summary>Runs the protocol on <paramref name="inputs"/> (client id → encoded input, all of the same length).</summary>
    /// <param name="inputs">Each participating client's fixed-point input (see <see cref="FixedPoint.Encode"/>).</param>
    /// <param name="round">Round number, bound into the pairwise seeds (fresh masks every round).</param>
    /// <param name="dropouts">Clients that advertise their key in round 0 but never send their masked input.</param>
    /// <exception cref="ArgumentException">No inputs, inputs of different lengths, a dropout that is not a participant, or every client dropped.</exception>
    public static SecureAggregationResult Run(IReadOnlyDictionary<int, uint[]> inputs, int round, IReadOnlyCollection<int>? dropouts = null)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        if (inputs.Count == 0) throw new ArgumentException("Secure aggregation needs at least one participant.", nameof(inputs));
        int length = inputs.First().Value?.Length ?? throw new ArgumentException("An input is null.", nameof(inputs));
        foreach (var (id, x) in inputs)
            if (x is null || x.Length != length)
                throw new ArgumentException($"Every input must have {length} words; client {id} has {x?.Length.ToString() ?? "none"}.", nameof(inputs));
        var dropped = new SortedSet<int>(dropouts ?? []);
        foreach (int d in dropped)
            if (!inputs.ContainsKey(d)) throw new ArgumentException($"Client {d} cannot drop out: it is not a participant.", nameof(dropouts));
        if (dropped.Count == inputs.Count)
            throw new ArgumentException("Every client dropped out; there is nothing to aggregate.", nameof(dropouts));

        var clients = inputs.Keys.Order().ToDictionary(id => id, id => new SecureAggregationClient(id));
        try
        {
            // Round 0: advertise keys.
            var publicKeys = clients.ToDictionary(c => c.Key, c => c.Value.PublicKey);
            long bytes = publicKeys.Values.Sum(k => (long)k.Length);

            // Round 1: masked inputs from the clients that are still there.
            var masked = new SortedDictionary<int, uint[]>();
            foreach (var (id, client) in clients)
            {
                if (dropped.Contains(id)) continue;
                masked[id] = client.MaskInput(inputs[id], publicKeys, round);
                bytes += 4L * length;
            }

            // Round 2: the survivors reveal their seeds with the dropped clients.
            var revealed = new Dictionary<(int Survivor, int Dropped), byte[]>();
            foreach (int u in masked.Keys)
                foreach (int v in dropped)
                {
                    revealed[(u, v)] = clients[u].RevealSeedFor(v, publicKeys[v], round);
                    bytes += MaskGenerator.SeedBytes;
                }

            uint[] sum = Unmask(masked, revealed);
            return new SecureAggregationResult(sum, masked, masked.Keys.ToArray(), dropped.ToArray(), revealed.Count, bytes);
        }
        finally
        {
            foreach (var client in clients.Values) client.Dispose();
        }
    }

    /// <summary>
    /// The server's computation: Σ_u y_u mod 2³² over the masked inputs received, then, for every revealed seed s_uv of
    /// a survivor u and a dropped client v, removal of the mask u applied for v (+PRG(s_uv) if v &gt; u, −PRG(s_uv) if v &lt; u).
    /// </summary>
    public static uint[] Unmask(IReadOnlyDictionary<int, uint[]> maskedInputs, IReadOnlyDictionary<(int Survivor, int Dropped), byte[]> revealedSeeds)
    {
        ArgumentNullException.ThrowIfNull(maskedInputs);
        ArgumentNullException.ThrowIfNull(revealedSeeds);
        if (maskedInputs.Count == 0) throw new ArgumentException("No masked input arrived.", nameof(maskedInputs));
        int length = maskedInputs.First().Value.Length;
        var sum = new uint[length];
        foreach (var y in maskedInputs.Values) FixedPoint.AddInPlace(sum, y);
        foreach (var ((u, v), seed) in revealedSeeds)
        {
            if (!maskedInputs.ContainsKey(u)) throw new ArgumentException($"A seed was revealed by client {u}, whose input did not arrive.", nameof(revealedSeeds));
            if (maskedInputs.ContainsKey(v)) throw new ArgumentException($"Client {v} did not drop out: revealing its seeds would unmask it.", nameof(revealedSeeds));
            uint[] mask = MaskGenerator.Expand(seed, length);
            if (v > u) FixedPoint.SubtractInPlace(sum, mask);
            else FixedPoint.AddInPlace(sum, mask);
        }
        return sum;
    }
}
