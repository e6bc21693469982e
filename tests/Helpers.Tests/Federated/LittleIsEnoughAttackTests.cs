using ModelSecurity.Federated;
using ModelSecurity.Federated.Partitioning;
using ModelSecurity.Federated.Poisoning;
using ModelSecurity.Federated.Strategies;
using ModelSecurity.Models;
using ModelSecurity.Training;
using static TorchSharp.torch;

namespace ModelSecurity.Tests.Federated;

[Collection(FederatedDataCollection.Name)]
public class LittleIsEnoughAttackTests(FederatedDataFixture data)
{
    [Fact]
    public void EveryMaliciousUpdateBecomesMeanMinusZStandardDeviations()
    {
        // Coordinate 0: 1, 2, 3 → mean 2, sample std 1 → 2 − 1.5·1 = 0.5. Coordinate 1: all 4 → std 0 → 4.
        float[][] deltas = [[1f, 4f], [2f, 4f], [3f, 4f]];
        new LittleIsEnoughAttack(1.5).PoisonRound(deltas);
        Assert.All(deltas, d => Assert.Equal(new[] { 0.5f, 4f }, d));
        float[][] single = [[7f, -1f]];
        new LittleIsEnoughAttack(1).PoisonRound(single);
        Assert.Equal(new[] { 7f, -1f }, single[0]);
        Assert.Throws<ArgumentOutOfRangeException>(() => new LittleIsEnoughAttack(0));
    }

    [Fact]
    public void BaruchZMatchesThePaperFormula()
    {
        // n = 10, m = 2: s = ⌊6⌋ − 2 = 4, z = Φ⁻¹(6/10) = 0.253347. n = 50, m = 12: s = 14, z = Φ⁻¹(36/50) = 0.582842.
        Assert.Equal(0.253347, LittleIsEnoughAttack.BaruchZ(10, 2), 5);
        Assert.Equal(0.582842, LittleIsEnoughAttack.BaruchZ(50, 12), 5);
        Assert.Throws<ArgumentOutOfRangeException>(() => LittleIsEnoughAttack.BaruchZ(10, 0));
    }

    [Fact]
    public void TheServerHandsTheColludersTheirRoundsUpdatesAndTheMedianFollows()
    {
        // Two of four clients collude with a large z: their identical updates sit far below the honest mean in every
        // coordinate, and the coordinate-wise median of four values averages the two middle ones, so it moves.
        Reproducibility.Seed(2);
        using var model = new Mlp(10, hiddenSize: 16);
        float[] start = ModelWeights.Get(model);
        using var clients = FederatedClients.Create(data.Train, Partitioner.Iid(data.Train, clients: 4, seed: 2));
        var options = new FederatedOptions { Rounds = 1, ClientFraction = 1, Local = new LocalTraining { Epochs = 1, BatchSize = 20, LearningRate = 0.1 } };
        float[] Run(ClientAttack? attack)
        {
            for (int k = 0; k < clients.Count; k++) clients[k].Attack = k < 2 ? attack : null;
            ModelWeights.Set(model, start);
            var server = new FederatedServer(model, clients, new CoordinateWiseMedian(), options, CPU);
            server.Run();
            return server.GlobalWeights;
        }
        float[] honest = Run(null), attacked = Run(new LittleIsEnoughAttack(5));
        double shift = honest.Zip(attacked).Sum(p => Math.Abs(p.First - p.Second));
        Assert.True(shift > 1e-3, $"the median did not move (total shift {shift})");
        foreach (var c in clients) c.Attack = null;
    }
}
