namespace ModelSecurity.Defenses;

/// <summary>Argument checks of defensive distillation.</summary>
internal static class DistillationArguments
{
    /// <summary>A temperature T: finite and ≥ 1.</summary>
    public static double Temperature(double value, string name = "temperature")
    {
        if (double.IsNaN(value) || double.IsInfinity(value) || value < 1)
            throw new ArgumentOutOfRangeException(name, value,
                $"{name} must be a finite number ≥ 1 (T = 1 is ordinary training; Papernot et al. use T = 100); got {value}.");
        return value;
    }
}
