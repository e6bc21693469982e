namespace ModelSecurity.Extraction;

/// <summary>Thrown when a query to an <see cref="IPredictionApi"/> would exceed its budget; no image of that query is answered.</summary>
public sealed class QueryBudgetExceededException : InvalidOperationException
{
    /// <summary>Creates the exception for a query of <paramref name="requested"/> images when <paramref name="remaining"/> of <paramref name="budget"/> are left.</summary>
    public QueryBudgetExceededException(long requested, long remaining, long budget)
        : base($"This query asks for {requested} predictions, but only {remaining} of the budget of {budget} remain. " +
               "Query fewer images, or use a prediction API with a larger budget.")
    {
        Requested = requested;
        Remaining = remaining;
        Budget = budget;
    }

    /// <summary>Images in the refused query.</summary>
    public long Requested { get; }

    /// <summary>Queries left when it was refused.</summary>
    public long Remaining { get; }

    /// <summary>The endpoint's total budget.</summary>
    public long Budget { get; }
}
