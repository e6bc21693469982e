using System.Runtime.InteropServices;

namespace ModelSecurity.Notebooks.Execution;

/// <summary>
/// Recognises the error of a known race in TorchSharp 0.107, so that a learner is told what happened and what to do
/// instead of facing a bare libtorch message.
/// </summary>
/// <remarks>
/// TorchSharp turns numbers into <c>Scalar</c> objects implicitly (<c>x * 0.5</c>, <c>a + b</c>, <c>x.clamp(0, 1)</c>) and
/// passes only their native handle to libtorch. When a garbage collection, started by another thread, finalizes such a
/// temporary while libtorch is still reading it, libtorch reads freed memory and fails with
/// "Expected false to be true … toFloat" (or toDouble, toLong), or "Unknown scalar type" when the freed memory no
/// longer holds a valid type tag. The fix belongs in TorchSharp (dotnet/TorchSharp pull
/// requests 1434 and 1496 dispose the temporaries at once); the library keeps the scalars of its longest loops alive
/// (<c>KeptScalars</c>, <c>KeepAliveSgd</c>), but every tensor expression with a number can create one. It is rare, more
/// so on an idle machine, and rerunning the cell is enough.
/// </remarks>
public static class TorchSharpScalarRace
{
    // The two messages libtorch gives for a Scalar read after it was freed (c10/core/Scalar.h).
    private static readonly string[] Signatures = ["Expected false to be true", "Unknown scalar type"];

    /// <summary>What the learner reads under the error.</summary>
    public const string Explanation =
        "This is a known race in TorchSharp 0.107, not a mistake in the cell: a number used in a tensor operation became a " +
        "temporary Scalar that the garbage collector freed while libtorch was still reading it. Run the cell again. " +
        "(Fixed upstream by disposing such temporaries: dotnet/TorchSharp pull requests 1434 and 1496.)";

    /// <summary>Whether <paramref name="exception"/> is that error.</summary>
    public static bool Matches(Exception exception) =>
        exception is ExternalException && Signatures.Any(signature => exception.Message.StartsWith(signature, StringComparison.Ordinal));

    /// <summary>
    /// Runs <paramref name="work"/>; when this race ends it, says so on <paramref name="log"/> and runs it once more from
    /// the start. Only for work that starts from scratch (training with a fixed seed recomputes the same model); a
    /// second race, or any other error, propagates.
    /// </summary>
    /// <param name="work">What to run; it must not depend on anything a failed attempt left behind.</param>
    /// <param name="log">Where the explanation goes.</param>
    /// <param name="again">What the second attempt does, e.g. "Training seed 2 again from the start."</param>
    public static T RunOnceMore<T>(Func<T> work, TextWriter log, string again)
    {
        ArgumentNullException.ThrowIfNull(work);
        ArgumentNullException.ThrowIfNull(log);
        try
        {
            return work();
        }
        catch (Exception error) when (Matches(error))
        {
            log.WriteLine($"  {error.GetType().Name}: {error.Message.Split('\n')[0]}");
            log.WriteLine($"  {Explanation}");
            log.WriteLine($"  {again}");
            return work();
        }
    }

    /// <summary>Whether a run's printed output reports that error (e.g. the summary line of <c>course run</c>).</summary>
    public static bool Matches(string output) =>
        Signatures.Any(signature => output.Contains($"{nameof(ExternalException)}: {signature}", StringComparison.Ordinal));   // full or short type name
}
