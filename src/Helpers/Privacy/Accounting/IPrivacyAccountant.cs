namespace ModelSecurity.Privacy.Accounting;

/// <summary>
/// Tracks the privacy spent by a sequence of Poisson-subsampled Gaussian mechanisms (the steps of DP-SGD) and
/// converts it to an (ε, δ) guarantee, like Opacus's <c>IAccountant</c>. It knows nothing of models or optimizers:
/// a training loop calls <see cref="Step"/> once per optimizer step (or once with the number of steps).
/// </summary>
/// <remarks>
/// Neighbouring data sets differ by adding or removing one example. Each step must clip every per-example gradient
/// to L2 norm C, sum the clipped gradients of a batch in which every example was included independently with
/// probability q, and add N(0, (σC)²) noise; σ is the <em>noise multiplier</em>.
/// </remarks>
public interface IPrivacyAccountant
{
    /// <summary>Short name of the accounting method ("rdp", "pld").</summary>
    string Mechanism { get; }

    /// <summary>The steps taken so far, consecutive steps with equal (σ, q) merged into one segment.</summary>
    IReadOnlyList<AccountingSegment> History { get; }

    /// <summary>Total number of steps over the history.</summary>
    long TotalSteps { get; }

    /// <summary>Records <paramref name="steps"/> steps at noise multiplier σ and sample rate q.</summary>
    /// <exception cref="ArgumentOutOfRangeException">σ not a finite number &gt; 0, q outside (0, 1], or steps &lt; 1.</exception>
    void Step(double noiseMultiplier, double sampleRate, int steps = 1);

    /// <summary>The ε at which everything recorded so far is (ε, δ)-DP (0 for an empty history).</summary>
    /// <exception cref="ArgumentOutOfRangeException">δ outside (0, 1).</exception>
    double GetEpsilon(double delta);

    /// <summary>The δ at which everything recorded so far is (ε, δ)-DP (0 for an empty history).</summary>
    /// <exception cref="ArgumentOutOfRangeException">ε not a finite number ≥ 0.</exception>
    double GetDelta(double epsilon);

    /// <summary>Forgets the history.</summary>
    void Reset();
}
