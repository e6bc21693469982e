namespace ModelSecurity.Privacy.Inversion;

/// <summary>Settings of <see cref="ModelInversion"/>: the ascent and its regularisers.</summary>
public sealed record InversionOptions
{
    /// <summary>Gradient steps (default 200).</summary>
    public int Steps { get; init; } = 200;

    /// <summary>Adam learning rate on the pixels (default 0.05).</summary>
    public double StepSize { get; init; } = 0.05;

    /// <summary>Weight λ_TV of the total variation, which favours smooth images (default 0.005).</summary>
    public double TotalVariationWeight { get; init; } = 0.005;

    /// <summary>Weight λ₂ of the squared L2 norm of the image, which keeps unneeded pixels dark (default 0.001).</summary>
    public double L2Weight { get; init; } = 0.001;

    /// <summary>
    /// Pixel value every reconstruction starts from (default 0.5, mid-grey). Fredrikson et al. start from 0, but the
    /// shipped PGD-AT model's logits are flat around the black image: with λ_TV = 0.05, λ₂ = 0.01 and a black start
    /// its reconstructions stayed black (target probability 10 %), from grey they reach 87 %.
    /// </summary>
    public double StartValue { get; init; } = 0.5;

    /// <summary>Throws an <see cref="ArgumentOutOfRangeException"/> naming the first setting out of range.</summary>
    public void Validate()
    {
        Guard.AtLeast(Steps, 1, nameof(Steps));
        Guard.Positive(StepSize, nameof(StepSize));
        Guard.NonNegative(TotalVariationWeight, nameof(TotalVariationWeight));
        Guard.NonNegative(L2Weight, nameof(L2Weight));
        if (!(StartValue >= 0 && StartValue <= 1))
            throw new ArgumentOutOfRangeException(nameof(StartValue), StartValue, $"The start value is a pixel value in [0, 1]; got {StartValue}.");
    }
}
