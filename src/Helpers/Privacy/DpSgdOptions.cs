namespace ModelSecurity.Privacy;

/// <summary>
/// DP-SGD's settings for <see cref="DpTrainer.FitPrivately"/>; the rest (epochs, expected batch size, optimizer,
/// learning rate, schedule, seed) comes from the <see cref="Training.TrainingRecipe"/>.
/// </summary>
public sealed record DpSgdOptions
{
    /// <summary>σ ≥ 0: noise standard deviation in units of <see cref="MaxGradNorm"/>.</summary>
    public double NoiseMultiplier { get; init; } = 1.0;

    /// <summary>C &gt; 0: per-example clipping norm.</summary>
    public double MaxGradNorm { get; init; } = 1.0;

    /// <summary>Poisson (default) or fixed-size shuffled batches; see <see cref="BatchSampling"/>.</summary>
    public BatchSampling Sampling { get; init; } = BatchSampling.Poisson;

    /// <summary>Largest chunk of a logical batch processed at once (bounds memory, not the result).</summary>
    public int MaxPhysicalBatchSize { get; init; } = 128;

    /// <summary>Per-example loss (null: cross-entropy).</summary>
    public PerExampleLoss? Loss { get; init; }

    /// <summary>Throws an <see cref="ArgumentOutOfRangeException"/> naming the first setting out of range.</summary>
    public void Validate()
    {
        DpArguments.NoiseMultiplier(NoiseMultiplier, nameof(NoiseMultiplier));
        DpArguments.MaxGradNorm(MaxGradNorm, nameof(MaxGradNorm));
        DpArguments.MaxPhysicalBatchSize(MaxPhysicalBatchSize, nameof(MaxPhysicalBatchSize));
        if (!Enum.IsDefined(Sampling))
            throw new ArgumentOutOfRangeException(nameof(Sampling), Sampling, "Use BatchSampling.Poisson or BatchSampling.Shuffle.");
    }

    /// <summary>For history and progress lines, e.g. "dp-sgd (σ=1, C=1, Poisson)".</summary>
    public override string ToString() =>
        string.Create(System.Globalization.CultureInfo.InvariantCulture, $"dp-sgd (σ={NoiseMultiplier:G4}, C={MaxGradNorm:G4}, {Sampling})");
}
