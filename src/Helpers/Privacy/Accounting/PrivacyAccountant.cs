namespace ModelSecurity.Privacy.Accounting;

/// <summary>
/// History keeping shared by the accountants: validation of every step and merging of consecutive steps with
/// the same (σ, q) into one <see cref="AccountingSegment"/>.
/// </summary>
public abstract class PrivacyAccountant : IPrivacyAccountant
{
    private readonly List<AccountingSegment> _history = [];

    /// <inheritdoc />
    public abstract string Mechanism { get; }

    /// <inheritdoc />
    public IReadOnlyList<AccountingSegment> History => _history;

    /// <inheritdoc />
    public long TotalSteps => _history.Sum(s => (long)s.Steps);

    /// <summary>Incremented whenever the history changes (lets subclasses cache what they computed from it).</summary>
    protected int Version { get; private set; }

    /// <inheritdoc />
    public void Step(double noiseMultiplier, double sampleRate, int steps = 1)
    {
        Guard.NoiseMultiplier(noiseMultiplier);
        Guard.SampleRate(sampleRate);
        Guard.Steps(steps);
        if (_history.Count > 0 && _history[^1].NoiseMultiplier == noiseMultiplier && _history[^1].SampleRate == sampleRate
            && (long)_history[^1].Steps + steps <= int.MaxValue)
            _history[^1] = _history[^1] with { Steps = _history[^1].Steps + steps };
        else
            _history.Add(new AccountingSegment(noiseMultiplier, sampleRate, steps));
        Version++;
    }

    /// <inheritdoc />
    public void Reset()
    {
        _history.Clear();
        Version++;
    }

    /// <inheritdoc />
    public abstract double GetEpsilon(double delta);

    /// <inheritdoc />
    public abstract double GetDelta(double epsilon);

    /// <summary>"rdp: 2 segments, 3000 steps".</summary>
    public override string ToString() => $"{Mechanism}: {_history.Count} segment(s), {TotalSteps} step(s)";
}
