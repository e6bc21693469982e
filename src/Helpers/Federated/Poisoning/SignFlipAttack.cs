using System.Globalization;

namespace ModelSecurity.Federated.Poisoning;

/// <summary>
/// Model poisoning by sign flipping: the client uploads −λ·Δ instead of its honest update Δ, pushing the global model
/// uphill on the loss. Untargeted: its effect is the loss of clean accuracy.
/// </summary>
public sealed class SignFlipAttack : ClientAttack
{
    /// <summary>Creates the attack.</summary>
    /// <param name="scale">λ &gt; 0 (default 1).</param>
    /// <exception cref="ArgumentOutOfRangeException">λ is not a finite number &gt; 0.</exception>
    public SignFlipAttack(double scale = 1.0) => Scale = Guard.Positive(scale, nameof(scale));

    /// <summary>λ.</summary>
    public double Scale { get; }

    /// <inheritdoc />
    public override string Name => Scale == 1 ? "sign flip" : string.Create(CultureInfo.InvariantCulture, $"sign flip (×{Scale:G4})");

    /// <inheritdoc />
    public override void PoisonUpdate(float[] delta)
    {
        ArgumentNullException.ThrowIfNull(delta);
        VectorMath.Scale(delta, -Scale);
    }
}
