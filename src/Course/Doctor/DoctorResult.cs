namespace ModelSecurity.Cli.Doctor;

/// <summary>How a check came out.</summary>
public enum DoctorStatus
{
    /// <summary>✔ fine.</summary>
    Ok,

    /// <summary>! works, but something deserves attention.</summary>
    Warning,

    /// <summary>✘ broken: <c>course doctor</c> exits non-zero.</summary>
    Failed,
}

/// <summary>One check's outcome.</summary>
/// <param name="Name">E.g. "TorchSharp native libraries".</param>
/// <param name="Status">✔, ! or ✘.</param>
/// <param name="Summary">One line.</param>
/// <param name="Fix">What to do (null when nothing is needed).</param>
/// <param name="Details">Further lines (measurements, paths).</param>
public sealed record DoctorResult(string Name, DoctorStatus Status, string Summary, string? Fix = null, IReadOnlyList<string>? Details = null)
{
    /// <summary>✔, ! or ✘.</summary>
    public string Mark => Status switch { DoctorStatus.Ok => "✔", DoctorStatus.Warning => "!", _ => "✘" };
}
