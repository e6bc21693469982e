namespace ModelSecurity.Federated;

/// <summary>Draws the clients of each round, reproducibly: round r's choice depends only on (seed, r).</summary>
public static class ClientSampler
{
    /// <summary>The clients of a round with <see cref="ClientSampling.FixedCount"/>: max(1, round(C·N)).</summary>
    public static int ClientsPerRound(int totalClients, double clientFraction)
    {
        Guard.AtLeast(totalClients, 1, nameof(totalClients));
        FederatedOptions.CheckClientFraction(clientFraction);
        return Math.Clamp((int)Math.Round(clientFraction * totalClients, MidpointRounding.AwayFromZero), 1, totalClients);
    }

    /// <summary>The ids (ascending) of the clients that take part in round <paramref name="round"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">N &lt; 1 or C outside (0, 1].</exception>
    public static int[] Sample(int totalClients, double clientFraction, ClientSampling sampling, int seed, int round)
    {
        Guard.AtLeast(totalClients, 1, nameof(totalClients));
        FederatedOptions.CheckClientFraction(clientFraction);
        var random = new Random(SeedMixer.Mix(seed, SeedMixer.Sampling, round));
        if (sampling == ClientSampling.Poisson)
            return Enumerable.Range(0, totalClients).Where(_ => random.NextDouble() < clientFraction).ToArray();
        if (sampling != ClientSampling.FixedCount)
            throw new ArgumentOutOfRangeException(nameof(sampling), sampling, "Use ClientSampling.FixedCount or ClientSampling.Poisson.");

        int m = ClientsPerRound(totalClients, clientFraction);
        int[] ids = Enumerable.Range(0, totalClients).ToArray();
        for (int i = 0; i < m; i++) // partial Fisher–Yates: the first m are a uniform sample without replacement
        {
            int j = random.Next(i, totalClients);
            (ids[i], ids[j]) = (ids[j], ids[i]);
        }
        return ids.Take(m).Order().ToArray();
    }
}
