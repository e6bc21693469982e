using System.Globalization;

namespace ModelSecurity.Federated.Poisoning;

/// <summary>
/// Model poisoning by boosting: the client trains honestly, then multiplies its update by a factor γ before upload
/// (Bhagoji et al. 2019's explicit boosting; with γ ≈ N/η it replaces the global model under FedAvg). A large γ
/// wrecks averaging; robust aggregators bound its influence. Untargeted: its effect is the loss of clean accuracy.
/// </summary>
public sealed class ScaledUpdateAttack : ClientAttack
{
    /// <summary>Creates the attack.</summary>
    /// <param name="boost">γ, a finite factor (e.g. 10 or 100; negative values also flip the direction).</param>
    /// <exception cref="ArgumentOutOfRangeException">γ is not finite.</exception>
    public ScaledUpdateAttack(double boost)
    {
        if (!double.IsFinite(boost)) throw new ArgumentOutOfRangeException(nameof(boost), boost, $"The boost factor must be finite; got {boost}.");
        Boost = boost;
    }

    /// <summary>γ.</summary>
    public double Boost { get; }

    /// <inheritdoc />
    public override string Name => string.Create(CultureInfo.InvariantCulture, $"scaled update (×{Boost:G4})");

    /// <inheritdoc />
    public override void PoisonUpdate(float[] delta)
    {
        ArgumentNullException.ThrowIfNull(delta);
        VectorMath.Scale(delta, Boost);
    }
}
