using ModelSecurity.Federated;
using ModelSecurity.Federated.Partitioning;
using ModelSecurity.Federated.Strategies;
using ModelSecurity.Models;
using ModelSecurity.Training;
using static TorchSharp.torch;

namespace ModelSecurity.Tests.Federated;

[Collection(FederatedDataCollection.Name)]
public class StragglerTests(FederatedDataFixture data)
{
    private RoundMetrics OneRound(double stragglers, bool drop, out float[] before, out float[] after)
    {
        Reproducibility.Seed(4);
        using var model = new Mlp(10, hiddenSize: 16);
        before = ModelWeights.Get(model);
        using var clients = FederatedClients.Create(data.Train, Partitioner.Iid(data.Train, clients: 6, seed: 4));
        var options = new FederatedOptions
        {
            Rounds = 1, ClientFraction = 1, StragglerFraction = stragglers, DropStragglers = drop, Seed = 4,
            Local = new LocalTraining { Epochs = 3, BatchSize = 20, LearningRate = 0.1 },
        };
        var server = new FederatedServer(model, clients, new FedAvg(), options, CPU);
        var metrics = server.RunRound();
        after = server.GlobalWeights;
        return metrics;
    }

    [Fact]
    public void DroppedStragglersUploadNothingAndKeptOnesDoLessWork()
    {
        var all = OneRound(0, drop: false, out var start, out var full);
        var dropped = OneRound(0.5, drop: true, out _, out _);
        var kept = OneRound(0.5, drop: false, out _, out var partial);
        Assert.Equal(6, all.Clients.Count);
        Assert.True(dropped.BytesUp < all.BytesUp, $"dropping stragglers must upload less ({dropped.BytesUp} vs {all.BytesUp})");
        Assert.True(dropped.BytesUp > 0, "with probability 1/2 per client, some of the six finish (seeded)");
        Assert.Equal(all.BytesUp, kept.BytesUp);
        Assert.NotEqual(full, partial);   // some clients trained fewer epochs
        Assert.Throws<ArgumentOutOfRangeException>(() => new FederatedOptions { StragglerFraction = 1 });
    }

    [Fact]
    public void WhenEveryClientStragglesAndIsDroppedTheModelStays()
    {
        OneRound(0.999, drop: true, out var before, out var after);
        Assert.Equal(before, after);
    }
}
