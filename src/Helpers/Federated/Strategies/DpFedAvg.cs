using System.Globalization;
using ModelSecurity.Privacy.Accounting;
using ModelSecurity.Privacy.Mechanisms;

namespace ModelSecurity.Federated.Strategies;

/// <summary>
/// DP-FedAvg with client-level differential privacy (McMahan et al. 2018, "Learning Differentially Private Recurrent
/// Language Models"): every update is clipped to L2 norm S, Δ_k ← Δ_k · min(1, S / ‖Δ_k‖); the clipped updates are
/// summed and divided by the fixed denominator qN (the expected number of clients per round, not the actual one, so
/// that one client's influence is bounded by S / (qN)); Gaussian noise of standard deviation σ·S / (qN) is added to
/// every coordinate; and w ← w + η·Δ̄. Each round is one Poisson-subsampled Gaussian mechanism with sample rate q and
/// noise multiplier σ, recorded in an <see cref="IPrivacyAccountant"/> (default <see cref="RdpAccountant"/>).
/// </summary>
/// <remarks>
/// The guarantee protects a whole client's data (adding or removing one client), not single examples. It holds as
/// computed only when each client joins a round independently with probability q, i.e. with
/// <see cref="ClientSampling.Poisson"/> sampling and <see cref="FederatedOptions.ClientFraction"/> = q; a fixed number
/// of clients per round is sampling without replacement, which the accountant does not model exactly. Clients are
/// weighted equally (the paper's w_k = 1 case); clipping is done here, on the trusted server, which in a deployment
/// the clients would do themselves before upload.
/// </remarks>
public sealed class DpFedAvg : AggregationStrategy, IDifferentiallyPrivateStrategy
{
    private readonly int _seed;

    /// <summary>Creates DP-FedAvg.</summary>
    /// <param name="clipNorm">S &gt; 0, the L2 bound on every client update.</param>
    /// <param name="noiseMultiplier">σ &gt; 0: noise standard deviation / sensitivity (the sensitivity of the sum is S).</param>
    /// <param name="clientFraction">q in (0, 1], the probability that a client takes part in a round.</param>
    /// <param name="totalClients">N ≥ 1 (qN is the fixed denominator).</param>
    /// <param name="seed">Seed of the noise (each round draws from a generator seeded by (seed, round)).</param>
    /// <param name="delta">δ at which <see cref="Epsilon"/> is reported (default 10⁻⁵; use less than 1/N).</param>
    /// <param name="serverLearningRate">η &gt; 0 (default 1).</param>
    /// <param name="accountant">Where the rounds are recorded (default a new <see cref="RdpAccountant"/>).</param>
    /// <exception cref="ArgumentOutOfRangeException">A value out of range.</exception>
    public DpFedAvg(double clipNorm, double noiseMultiplier, double clientFraction, int totalClients, int seed = 0,
        double delta = 1e-5, double serverLearningRate = 1.0, IPrivacyAccountant? accountant = null)
    {
        ClipNorm = Guard.Positive(clipNorm, nameof(clipNorm));
        NoiseMultiplier = Guard.NoiseMultiplier(noiseMultiplier);
        ClientFraction = FederatedOptions.CheckClientFraction(clientFraction, nameof(clientFraction));
        TotalClients = Guard.AtLeast(totalClients, 1, nameof(totalClients));
        Delta = Guard.Delta(delta);
        ServerLearningRate = Guard.Positive(serverLearningRate, nameof(serverLearningRate));
        Accountant = accountant ?? new RdpAccountant();
        _seed = seed;
    }

    /// <summary>S, the clipping bound.</summary>
    public double ClipNorm { get; }

    /// <summary>σ, the noise multiplier.</summary>
    public double NoiseMultiplier { get; }

    /// <inheritdoc />
    public double ClientFraction { get; }

    /// <inheritdoc />
    public int TotalClients { get; }

    /// <summary>Server learning rate η.</summary>
    public double ServerLearningRate { get; }

    /// <inheritdoc />
    public double Delta { get; }

    /// <inheritdoc />
    public IPrivacyAccountant Accountant { get; }

    /// <summary>The fixed denominator qN.</summary>
    public double ExpectedClients => ClientFraction * TotalClients;

    /// <summary>Standard deviation of the noise added to every coordinate of the averaged update: σ·S / (qN).</summary>
    public double NoiseStandardDeviation => NoiseMultiplier * ClipNorm / ExpectedClients;

    /// <summary>Fraction of last round's updates that were longer than S and got clipped (NaN before any update).</summary>
    public double LastClippedFraction { get; private set; } = double.NaN;

    /// <inheritdoc />
    public double Epsilon => Accountant.GetEpsilon(Delta);

    /// <inheritdoc />
    public override string Name =>
        string.Create(CultureInfo.InvariantCulture, $"DP-FedAvg (S = {ClipNorm:G3}, σ = {NoiseMultiplier:G3}, q = {ClientFraction:G3})");

    /// <summary>Δ scaled to L2 norm at most <paramref name="clipNorm"/> (a copy).</summary>
    public static float[] Clip(float[] delta, double clipNorm)
    {
        ArgumentNullException.ThrowIfNull(delta);
        Guard.Positive(clipNorm, nameof(clipNorm));
        var clipped = (float[])delta.Clone();
        double norm = VectorMath.Norm(delta);
        if (norm > clipNorm) VectorMath.Scale(clipped, clipNorm / norm);
        return clipped;
    }

    /// <inheritdoc />
    protected override bool AggregatesEmptyRounds => true;

    /// <inheritdoc />
    protected override float[] Step(int round, float[] globalWeights, IReadOnlyList<ClientUpdate> updates)
    {
        var sum = new double[globalWeights.Length];
        int clipped = 0;
        foreach (var update in updates)
        {
            double norm = VectorMath.Norm(update.Delta);
            double factor = norm > ClipNorm ? ClipNorm / norm : 1.0;
            if (norm > ClipNorm) clipped++;
            float[] d = update.Delta;
            for (int i = 0; i < sum.Length; i++) sum[i] += (float)(d[i] * factor);
        }
        LastClippedFraction = updates.Count == 0 ? double.NaN : (double)clipped / updates.Count;

        var random = new Random(SeedMixer.Mix(_seed, SeedMixer.Server, round));
        double denominator = ExpectedClients, noise = NoiseStandardDeviation;
        for (int i = 0; i < sum.Length; i++) sum[i] = sum[i] / denominator + noise * NoiseSampler.StandardNormal(random);
        Accountant.Step(NoiseMultiplier, ClientFraction);
        return VectorMath.AddScaled(globalWeights, sum, ServerLearningRate);
    }
}
