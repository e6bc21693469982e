using ModelSecurity.Federated;
using ModelSecurity.Federated.Strategies;
using ModelSecurity.Models;
using ModelSecurity.Training;
using static TorchSharp.torch;

namespace ModelSecurity.Tests.Federated;

[Collection(FederatedDataCollection.Name)]
public class RoundsToTargetTests(FederatedDataFixture data)
{
    private static readonly LocalTraining Local = new() { Epochs = 1, BatchSize = 20, LearningRate = 0.1 };

    private FederatedServer Server(FederatedClients clients, int rounds)
    {
        Reproducibility.Seed(3);
        var model = new Mlp(10, hiddenSize: 32);
        return new FederatedServer(model, clients, new FedAvg(), new FederatedOptions { Rounds = rounds, ClientFraction = 1, Local = Local, Seed = 3 }, CPU,
                                   data.Test);
    }

    [Fact]
    public void StopsAtTheFirstRoundThatReachesTheTarget()
    {
        using var clients = new FederatedClients([new FederatedClient(0, data.Train.Take(300)), new FederatedClient(1, data.Train.Take(200))]);
        var full = Server(clients, 6);
        var history = full.Run();
        double third = history.Rounds[2].TestAccuracy!.Value;
        int expected = history.Rounds.First(r => r.TestAccuracy >= third).Round;

        var (rounds, stopped) = RoundsToTarget.Run(Server(clients, 6), third);
        Assert.Equal(expected, rounds);
        Assert.Equal(expected, stopped.Rounds.Count); // no round after the target
        Assert.Equal(history.Rounds.Take(expected).Select(r => r.TestAccuracy), stopped.Rounds.Select(r => r.TestAccuracy));
    }

    [Fact]
    public void AnUnreachedTargetRunsEveryRoundAndReportsNull()
    {
        using var clients = new FederatedClients([new FederatedClient(0, data.Train.Take(100))]);
        var (rounds, history) = RoundsToTarget.Run(Server(clients, 2), 1.0);
        Assert.Null(rounds);
        Assert.Equal(2, history.Rounds.Count);
        Assert.Throws<ArgumentOutOfRangeException>(() => RoundsToTarget.Run(Server(clients, 2), 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => RoundsToTarget.Run(Server(clients, 2), 1.5));
    }

    [Fact]
    public void CompareRunsEverySettingOnBothPartitionsAndTabulatesTheSpeedUp()
    {
        var settings = new (string, LocalTraining)[] { ("FedSGD", LocalTraining.FedSgd(0.5)), ("FedAvg E=2", Local with { Epochs = 2 }) };
        var rows = RoundsToTarget.Compare("mlp", data.Train, data.Test, settings, clients: 5, clientFraction: 0.6, alpha: 0.1, target: 0.3,
                                          maxRounds: 4, CPU, seed: 1);
        Assert.Equal(4, rows.Count);
        Assert.Equal(new[] { "IID", "IID", "Dirichlet(α = 0.1)", "Dirichlet(α = 0.1)" }, rows.Select(r => r.Partition));
        Assert.Equal(1, rows[0].LocalStepsPerRound);
        Assert.Equal(2 * 10, rows[1].LocalStepsPerRound); // 2 epochs of ⌈200 / 20⌉ batches
        foreach (var row in rows)
        {
            Assert.InRange(row.History.Rounds.Count, 1, 4);
            if (row.Rounds is { } r) Assert.Equal(r, row.History.Rounds.Count);
            else Assert.Equal(4, row.History.Rounds.Count);
        }
        // Several local steps per round reach 30 % on IID clients no later than one gradient step per round.
        Assert.NotNull(rows[1].Rounds);
        Assert.True(rows[0].Rounds is null || rows[0].Rounds >= rows[1].Rounds);

        string table = RoundsToTarget.ToMarkdown(rows, 0.3);
        string[] lines = table.TrimEnd().Split('\n');
        Assert.Equal(4, lines.Length);
        Assert.Contains("IID: rounds to 30 %", lines[0]);
        Assert.Contains("Dirichlet(α = 0.1): rounds to 30 %", lines[0]);
        Assert.StartsWith("| FedSGD | 1 | ", lines[2]);
        Assert.Contains("1×", lines[2]);
        string expectedSpeedUp = rows[0].Rounds is { } sgd ? $"{(double)sgd / rows[1].Rounds!.Value:F1}×" : $"≥ {4.0 / rows[1].Rounds!.Value:F1}×";
        Assert.Contains(expectedSpeedUp, lines[3]);
    }
}
