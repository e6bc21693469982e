using System.Diagnostics;
using ModelSecurity.Data;
using ModelSecurity.Federated.Strategies;
using ModelSecurity.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace ModelSecurity.Federated.Poisoning;

/// <summary>
/// Runs every attack against every aggregator under identical conditions — same clients, same initial model, same
/// seeds — and tabulates the final clean accuracy and attack success rate of each pair.
/// </summary>
public static class PoisoningExperiment
{
    /// <summary>
    /// For each attack (null: the honest baseline, named "none") and each aggregator: clients 0 … m − 1 get the
    /// attack, the simulation runs from <paramref name="model"/>'s current weights, and the final global model is
    /// measured. The baseline runs first, and every targeted attack's success measure is also taken on its model, as
    /// that attack's control (<see cref="PoisoningResult.ControlSuccessRate"/>). The clients' own attacks are restored
    /// afterwards; <paramref name="model"/> ends with the last run's weights.
    /// </summary>
    /// <param name="model">The model whose current weights every run starts from.</param>
    /// <param name="clients">The clients (ids 0 … N − 1); the first <paramref name="maliciousClients"/> turn malicious.</param>
    /// <param name="test">Clean test set (also used for the attack success rates).</param>
    /// <param name="attacks">The attacks; null entries run without attackers.</param>
    /// <param name="aggregators">Factories of fresh strategies (stateful strategies must not carry over between runs).</param>
    /// <param name="maliciousClients">m, 0 … N.</param>
    /// <param name="options">Rounds, client fraction, local training, seed (the same for every run).</param>
    /// <param name="device">Where to train.</param>
    /// <param name="output">One line per finished run (null: nowhere).</param>
    /// <exception cref="ArgumentOutOfRangeException">m outside 0 … N.</exception>
    public static PoisoningTable Run(
        nn.Module<Tensor, Tensor> model, IReadOnlyList<FederatedClient> clients, ImageDataset test,
        IReadOnlyList<ClientAttack?> attacks, IReadOnlyList<Func<IAggregationStrategy>> aggregators,
        int maliciousClients, FederatedOptions options, Device? device = null, TextWriter? output = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(clients);
        ArgumentNullException.ThrowIfNull(test);
        ArgumentNullException.ThrowIfNull(attacks);
        ArgumentNullException.ThrowIfNull(aggregators);
        ArgumentNullException.ThrowIfNull(options);
        if (maliciousClients < 0 || maliciousClients > clients.Count)
            throw new ArgumentOutOfRangeException(nameof(maliciousClients), maliciousClients,
                $"The number of malicious clients must lie in 0 … {clients.Count} (the number of clients).");
        if (attacks.Count == 0 || aggregators.Count == 0) throw new ArgumentException("Give at least one attack (or null) and one aggregator.");

        device ??= CPU;
        float[] initial = ModelWeights.Get(model);
        var original = clients.Select(c => c.Attack).ToArray();
        var results = new List<PoisoningResult>();
        // The attack-free baseline first, so that each targeted attack can be compared with its control.
        var ordered = attacks.Where(a => a is null).Concat(attacks.Where(a => a is not null)).ToList();
        var controls = new Dictionary<(ClientAttack Attack, int Aggregator), double>();
        try
        {
            foreach (var attack in ordered)
                for (int aggregatorIndex = 0; aggregatorIndex < aggregators.Count; aggregatorIndex++)
                {
                    var createAggregator = aggregators[aggregatorIndex];
                    Runtime.Interruption.ThrowIfRequested();
                    for (int k = 0; k < clients.Count; k++) clients[k].Attack = k < maliciousClients ? attack : null;
                    var strategy = createAggregator() ?? throw new ArgumentException("An aggregator factory returned null.", nameof(aggregators));
                    ModelWeights.Set(model, initial);
                    var clock = Stopwatch.StartNew();
                    new FederatedServer(model, clients, strategy, options, device).Run();
                    double clean = Evaluator.Evaluate(model, test, device).Accuracy;
                    double? success = attack?.SuccessRate(model, test, device);
                    if (attack is null)
                        foreach (var targeted in attacks.OfType<ClientAttack>())
                            if (targeted.SuccessRate(model, test, device) is { } control) controls[(targeted, aggregatorIndex)] = control;
                    double? controlRate = attack is not null && controls.TryGetValue((attack, aggregatorIndex), out double c) ? c : null;
                    var result = new PoisoningResult(attack?.Name ?? "none", strategy.Name, attack is null ? 0 : maliciousClients,
                        clean, success, clock.Elapsed.TotalSeconds, controlRate);
                    results.Add(result);
                    output?.WriteLine($"{result.Attack} vs {result.Aggregator}: clean accuracy {clean:P1}" +
                                      (success is not null ? $", attack success {result.SuccessText()}" : "") + $" ({result.Seconds:F1} s)");
                }
        }
        finally
        {
            for (int k = 0; k < clients.Count; k++) clients[k].Attack = original[k];
        }
        return new PoisoningTable(results);
    }
}
