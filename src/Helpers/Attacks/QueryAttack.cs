using static TorchSharp.torch;

namespace ModelSecurity.Attacks;

/// <summary>
/// Base of black-box attacks that only query the model: no gradients, no weights, just outputs (scores or decisions) for
/// chosen inputs. It counts the queries per example, enforces a per-example budget (<see cref="MaxQueries"/>) and keeps
/// the statistics of the last run (<see cref="LastRun"/>). Subclasses implement <see cref="Search"/> and ask the model
/// only through <see cref="QueryLogits"/> or <see cref="QueryDecisions"/>. (The one forward pass with which the base
/// <see cref="Attack"/> checks the labels against the number of classes is not counted.)
/// </summary>
public abstract class QueryAttack : Attack
{
    private long[] _queries = [];
    private bool[] _succeeded = [];
    private Runtime.ProgressScope? _progress; // the running search's query counter

    /// <summary>Creates a query-based attack.</summary>
    protected QueryAttack(nn.Module<Tensor, Tensor> model, string name, int maxQueries) : base(model, name)
    {
        MaxQueries = Guard.AtLeast(maxQueries, 1, nameof(maxQueries));
    }

    /// <summary>Query budget per example.</summary>
    public int MaxQueries { get; }

    /// <summary>Queries and outcome of the most recent <see cref="Attack.Run(Tensor, Tensor)"/> (null before the first run).</summary>
    public QueryStatistics? LastRun { get; private set; }

    /// <summary>Queries used so far by example <paramref name="example"/> in the current run.</summary>
    protected long QueriesUsed(int example) => _queries[example];

    /// <summary>Queries example <paramref name="example"/> may still make.</summary>
    protected long QueriesLeft(int example) => Math.Max(0, MaxQueries - _queries[example]);

    /// <summary>Records whether example <paramref name="example"/> was fooled (the attack knows it from its own queries).</summary>
    protected void MarkSucceeded(int example, bool succeeded) => _succeeded[example] = succeeded;

    /// <inheritdoc />
    protected sealed override Tensor Perturb(Tensor images, Tensor labels, bool targeted)
    {
        int n = (int)images.shape[0];
        _queries = new long[n];
        _succeeded = new bool[n];
        using var progress = _progress = Runtime.Progress.Start(Name, unit: "query"); // a budget, not a total: most searches stop early
        var result = Search(images, labels, targeted);
        LastRun = new QueryStatistics((long[])_queries.Clone(), (bool[])_succeeded.Clone());
        return result;
    }

    /// <summary>The attack itself; it must query the model only through <see cref="QueryLogits"/> / <see cref="QueryDecisions"/>.</summary>
    protected abstract Tensor Search(Tensor images, Tensor labels, bool targeted);

    /// <summary>
    /// Scores (logits) of <paramref name="inputs"/> (k, C, H, W); row j is charged to example <paramref name="examples"/>[j]
    /// (int64, k). No gradient flows.
    /// </summary>
    protected Tensor QueryLogits(Tensor inputs, Tensor examples)
    {
        if (examples.ndim != 1 || examples.shape[0] != inputs.shape[0])
            throw new ArgumentException($"{Name}: one example index per queried input is needed; got {Guard.Shape(examples)} for {Guard.Shape(inputs)}.");
        var charged = examples.cpu().data<long>().ToArray();
        foreach (long e in charged) _queries[e]++;
        _progress?.Advance(charged.Length);
        using var noGrad = no_grad();
        return Model.forward(inputs).detach();
    }

    /// <summary>Decisions only: the predicted classes (k) of <paramref name="inputs"/>, all charged to example <paramref name="example"/>.</summary>
    protected Tensor QueryDecisions(Tensor inputs, int example)
    {
        _queries[example] += inputs.shape[0];
        _progress?.Advance(inputs.shape[0]);
        using var noGrad = no_grad();
        return Model.forward(inputs).argmax(1);
    }
}

/// <summary>Queries and outcomes of one run of a <see cref="QueryAttack"/>.</summary>
/// <param name="QueriesPerExample">Queries each example used.</param>
/// <param name="SucceededPerExample">Whether each example was fooled within the budget (and ε).</param>
public sealed record QueryStatistics(IReadOnlyList<long> QueriesPerExample, IReadOnlyList<bool> SucceededPerExample)
{
    /// <summary>Number of attacked examples.</summary>
    public int Examples => QueriesPerExample.Count;

    /// <summary>Fraction of examples fooled.</summary>
    public double SuccessRate => Examples == 0 ? 0 : SucceededPerExample.Count(s => s) / (double)Examples;

    /// <summary>All queries of the run.</summary>
    public long TotalQueries => QueriesPerExample.Sum();

    /// <summary>Mean queries over the fooled examples (NaN if none): the usual "queries per success".</summary>
    public double MeanQueriesOfSuccesses => Successful().DefaultIfEmpty(double.NaN).Average();

    /// <summary>Median queries over the fooled examples (NaN if none).</summary>
    public double MedianQueriesOfSuccesses
    {
        get
        {
            var sorted = Successful().OrderBy(q => q).ToArray();
            if (sorted.Length == 0) return double.NaN;
            return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
        }
    }

    /// <summary>Fraction of examples fooled within <paramref name="budget"/> queries (the success-vs-queries curve).</summary>
    public double SuccessRateWithin(long budget) =>
        Examples == 0 ? 0 : QueriesPerExample.Where((q, i) => SucceededPerExample[i] && q <= budget).Count() / (double)Examples;

    /// <inheritdoc />
    public override string ToString() =>
        $"{SuccessRate:P1} of {Examples} fooled; queries per success: mean {MeanQueriesOfSuccesses:F0}, median {MedianQueriesOfSuccesses:F0}; total {TotalQueries}";

    private IEnumerable<double> Successful() =>
        QueriesPerExample.Where((_, i) => SucceededPerExample[i]).Select(q => (double)q);
}
