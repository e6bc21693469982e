namespace ModelSecurity.Federated.Poisoning;

/// <summary>One cell pair of a <see cref="PoisoningTable"/>: an attack against an aggregator.</summary>
/// <param name="Attack">Name of the attack ("none" for the honest baseline).</param>
/// <param name="Aggregator">Name of the aggregation strategy.</param>
/// <param name="MaliciousClients">How many clients ran the attack.</param>
/// <param name="CleanAccuracy">Test accuracy of the final global model on clean images.</param>
/// <param name="AttackSuccessRate">The attack's success rate on the final model, or null for untargeted attacks and the baseline.</param>
/// <param name="Seconds">Wall-clock time of the simulation.</param>
/// <param name="ControlSuccessRate">
/// For a targeted attack: the same success measure on the model trained with the same aggregator and no attacker (the
/// control — e.g. the share of triggered images an honest model already sends to the target class); null when the
/// experiment ran no attack-free baseline, or for untargeted attacks.
/// </param>
public sealed record PoisoningResult(
    string Attack, string Aggregator, int MaliciousClients, double CleanAccuracy, double? AttackSuccessRate, double Seconds,
    double? ControlSuccessRate = null)
{
    /// <summary>The attack success as a table shows it: "34.9 % (no attack: 2.1 %)", or "—" for untargeted attacks.</summary>
    public string SuccessText(IFormatProvider? culture = null)
    {
        culture ??= System.Globalization.CultureInfo.InvariantCulture;
        if (AttackSuccessRate is not { } rate) return "—";
        return ControlSuccessRate is { } control
            ? string.Format(culture, "{0:P1} (no attack: {1:P1})", rate, control)
            : rate.ToString("P1", culture);
    }
}
