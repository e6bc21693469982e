using ModelSecurity.Privacy.Accounting;

namespace ModelSecurity.Federated.Strategies;

/// <summary>A strategy with client-level differential privacy; the server reports its ε after every round.</summary>
public interface IDifferentiallyPrivateStrategy : IAggregationStrategy
{
    /// <summary>The accountant, one step per aggregated round.</summary>
    IPrivacyAccountant Accountant { get; }

    /// <summary>The δ at which ε is reported.</summary>
    double Delta { get; }

    /// <summary>The client sampling probability q the accounting assumes.</summary>
    double ClientFraction { get; }

    /// <summary>The number of clients N the fixed denominator qN assumes.</summary>
    int TotalClients { get; }

    /// <summary>ε of everything aggregated so far at <see cref="Delta"/>.</summary>
    double Epsilon { get; }
}
