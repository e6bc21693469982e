using ModelSecurity.Data;
using ModelSecurity.Federated;
using ModelSecurity.Federated.Partitioning;
using ModelSecurity.Federated.Strategies;
using ModelSecurity.Models;
using ModelSecurity.Runtime;
using ModelSecurity.Training;
using static TorchSharp.torch;

namespace ModelSecurity.Tests.Federated;

[Collection(FederatedDataCollection.Name)]
public class FederatedSimulationTests(FederatedDataFixture data)
{
    private static Mlp TinyMlp(int seed)
    {
        Reproducibility.Seed(seed);
        return new Mlp(10, hiddenSize: 32);
    }

    private static double MaxAbsDifference(float[] a, float[] b) => a.Zip(b).Max(p => Math.Abs((double)p.First - p.Second));

    [Fact]
    public void OneClientFedAvgEqualsCentralizedTraining()
    {
        using var model = TinyMlp(1);
        float[] initial = ModelWeights.Get(model);
        using var clientData = data.Train.Take(200);
        using var clients = new FederatedClients([new FederatedClient(0, data.Train.Take(200))]);
        var local = new LocalTraining { Epochs = 3, BatchSize = 20, LearningRate = 0.1 };
        var options = new FederatedOptions { Rounds = 1, ClientFraction = 1, Local = local, Seed = 5 };
        new FederatedServer(model, clients, new FedAvg(), options, CPU).Run();
        float[] federated = ModelWeights.Get(model);

        using var central = TinyMlp(99);
        ModelWeights.Set(central, initial);
        new Trainer(SilentTrainingReporter.Instance).Fit(central, clientData, local.ToRecipe(200, FederatedServer.ClientSeed(5, 1, 0)), CPU);
        Assert.True(MaxAbsDifference(federated, ModelWeights.Get(central)) < 1e-6, $"max difference {MaxAbsDifference(federated, ModelWeights.Get(central))}");
        Assert.True(MaxAbsDifference(federated, initial) > 1e-3, "training must have changed the model");

        // The comparison can fail: another shuffling seed gives another model.
        ModelWeights.Set(central, initial);
        new Trainer(SilentTrainingReporter.Instance).Fit(central, clientData, local.ToRecipe(200, seed: 6), CPU);
        Assert.True(MaxAbsDifference(federated, ModelWeights.Get(central)) > 1e-5);
    }

    [Fact]
    public void FedSgdIsOneFullBatchGradientStepOnTheUnion()
    {
        using var model = TinyMlp(2);
        float[] initial = ModelWeights.Get(model);
        using var union = data.Train.Take(150);
        using var clients = new FederatedClients([
            new FederatedClient(0, union.Select(Enumerable.Range(0, 100).Select(i => (long)i).ToArray())),
            new FederatedClient(1, union.Select(Enumerable.Range(100, 50).Select(i => (long)i).ToArray())),
        ]);
        var options = new FederatedOptions { Rounds = 1, ClientFraction = 1, Local = LocalTraining.FedSgd(0.5) };
        Assert.Contains("FedSGD", options.Local.ToString());
        new FederatedServer(model, clients, new FedAvg(), options, CPU).Run();

        // Sample-weighted mean of the clients' mean-loss gradients = the gradient of the mean loss over the union.
        using var central = TinyMlp(3);
        ModelWeights.Set(central, initial);
        new Trainer(SilentTrainingReporter.Instance).Fit(central, union, options.Local.ToRecipe(150, seed: 0), CPU);
        Assert.True(MaxAbsDifference(ModelWeights.Get(model), ModelWeights.Get(central)) < 1e-5);
        Assert.True(MaxAbsDifference(ModelWeights.Get(model), initial) > 1e-3);
    }

    [Fact]
    public void FedProxTermPullsTowardsTheGlobalModel()
    {
        using var model = TinyMlp(4);
        float[] initial = ModelWeights.Get(model);
        using var client = new FederatedClient(0, data.Train.Take(200));
        var plain = client.Train(model, initial, new LocalTraining { Epochs = 2, BatchSize = 20, LearningRate = 0.1 }, CPU, seed: 1);
        var proximal = client.Train(model, initial, new LocalTraining { Epochs = 2, BatchSize = 20, LearningRate = 0.1, ProximalMu = 5 }, CPU, seed: 1);
        double plainNorm = Math.Sqrt(plain.Delta.Sum(x => (double)x * x)), proxNorm = Math.Sqrt(proximal.Delta.Sum(x => (double)x * x));
        Assert.True(proxNorm < 0.9 * plainNorm, $"‖Δ‖ with μ = 5: {proxNorm:F4}, without: {plainNorm:F4}");
        Assert.Equal(200, proximal.SampleCount);
        Assert.Equal(4L * ModelWeights.Count(model), proximal.Bytes);
    }

    [Fact]
    public void RoundsReportBytesAccuracyAndASummary()
    {
        using var model = TinyMlp(5);
        int parameters = ModelWeights.Count(model);
        Assert.Equal(784 * 32 + 32 + 32 * 10 + 10, parameters);
        using var clients = FederatedClients.Create(data.Train, Partitioner.Iid(data.Train, clients: 8, seed: 1));
        var output = new StringWriter();
        var options = new FederatedOptions
        {
            Rounds = 3, ClientFraction = 0.25, Seed = 2, Local = new LocalTraining { Epochs = 2, BatchSize = 25, LearningRate = 0.3 },
        };
        var history = new FederatedServer(model, clients, new FedAvg(), options, CPU, data.Test, output).Run();

        Assert.Equal(new[] { 1, 2, 3 }, history.Rounds.Select(r => r.Round));
        Assert.All(history.Rounds, r => Assert.Equal(2, r.Clients.Count)); // C·N = 0.25·8
        Assert.All(history.Rounds, r => Assert.Equal(2L * 4 * parameters, r.BytesUp));
        Assert.All(history.Rounds, r => Assert.Equal(2L * 4 * parameters, r.BytesDown));
        Assert.Equal(6L * 4 * parameters, history.TotalBytesUp);
        Assert.All(history.Rounds, r => Assert.NotNull(r.TestAccuracy));
        Assert.True(history.FinalAccuracy > 0.5, $"accuracy {history.FinalAccuracy:P1}");
        Assert.Equal(Evaluator.Evaluate(model, data.Test).Accuracy, history.FinalAccuracy); // the model holds the global weights
        Assert.True(history.Rounds.SelectMany(r => r.Clients).Distinct().Count() > 2, "clients are resampled every round");
        string text = output.ToString();
        Assert.Contains("round 1/3: 2 clients", text);
        Assert.Contains("final test accuracy", text);
        Assert.Contains("traffic:", text);
        Assert.Null(history.Rounds[0].Epsilon);
    }

    [Fact]
    public void SamplingIsSeededAndRespectsTheFraction()
    {
        Assert.Equal(ClientSampler.Sample(100, 0.1, ClientSampling.FixedCount, 3, 7), ClientSampler.Sample(100, 0.1, ClientSampling.FixedCount, 3, 7));
        Assert.Equal(10, ClientSampler.Sample(100, 0.1, ClientSampling.FixedCount, 3, 7).Distinct().Count());
        Assert.Equal(1, ClientSampler.ClientsPerRound(100, 0.001));
        Assert.Equal(Enumerable.Range(0, 5), ClientSampler.Sample(5, 1.0, ClientSampling.FixedCount, 0, 1));
        double mean = Enumerable.Range(1, 400).Average(r => ClientSampler.Sample(100, 0.1, ClientSampling.Poisson, 1, r).Length);
        Assert.InRange(mean, 9.0, 11.0);
    }

    [Fact]
    public void DpFedAvgReportsEpsilonEveryRound()
    {
        using var model = TinyMlp(6);
        using var clients = FederatedClients.Create(data.Train, Partitioner.Iid(data.Train, clients: 10, seed: 1));
        var options = new FederatedOptions
        {
            Rounds = 2, ClientFraction = 0.3, Sampling = ClientSampling.Poisson, Local = new LocalTraining { BatchSize = 50, LearningRate = 0.1 },
        };
        var dp = new DpFedAvg(clipNorm: 1, noiseMultiplier: 1, clientFraction: 0.3, totalClients: 10);
        var history = new FederatedServer(model, clients, dp, options, CPU).Run();
        Assert.True(history.Rounds[1].Epsilon > history.Rounds[0].Epsilon);
        Assert.Contains("ε", history.Summary());

        var mismatch = Assert.Throws<ArgumentException>(() =>
            new FederatedServer(model, clients, new DpFedAvg(1, 1, clientFraction: 0.5, totalClients: 10), options, CPU));
        Assert.Contains("C = 0.3", mismatch.Message);
    }

    [Fact]
    public void BadSettingsAreRejectedClearly()
    {
        var c = Assert.Throws<ArgumentOutOfRangeException>(() => new FederatedOptions { ClientFraction = 0 });
        Assert.Contains("(0, 1]", c.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => new FederatedOptions { ClientFraction = 1.5 });
        Assert.Throws<ArgumentOutOfRangeException>(() => new FederatedOptions { ClientFraction = double.NaN });
        Assert.Throws<ArgumentOutOfRangeException>(() => new FederatedOptions { Rounds = 0 });
        var mu = Assert.Throws<ArgumentOutOfRangeException>(() => new LocalTraining { ProximalMu = -0.01 });
        Assert.Contains("μ", mu.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => new LocalTraining { Epochs = 0 });
        Assert.Throws<ArgumentOutOfRangeException>(() => new LocalTraining { BatchSize = 0 });
        Assert.Throws<ArgumentOutOfRangeException>(() => new LocalTraining { LearningRate = -1 });
        using var model = TinyMlp(7);
        Assert.Throws<ArgumentOutOfRangeException>(() => new FedProxObjective(-1, model));
        Assert.Throws<ArgumentException>(() => ModelWeights.Set(model, new float[10]));

        using var clients = FederatedClients.Create(data.Train, Partitioner.Iid(data.Train, clients: 5, seed: 1));
        var krum = Assert.Throws<ArgumentException>(() =>
            new FederatedServer(model, clients, new Krum(byzantine: 2), new FederatedOptions { ClientFraction = 1 }, CPU));
        Assert.Contains("at least 7 updates", krum.Message);
        using var empty = data.Train.Take(0);
        Assert.Throws<ArgumentException>(() => new FederatedClient(0, empty));
    }

    [Fact]
    public void InterruptionStopsBetweenClients()
    {
        using var model = TinyMlp(8);
        using var clients = FederatedClients.Create(data.Train, Partitioner.Iid(data.Train, clients: 4, seed: 1));
        var server = new FederatedServer(model, clients, new FedAvg(), new FederatedOptions { Rounds = 1, ClientFraction = 1 }, CPU);
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        var previous = Interruption.Token;
        Interruption.Token = cancelled.Token;
        try
        {
            Assert.Throws<OperationCanceledException>(() => server.RunRound());
        }
        finally
        {
            Interruption.Token = previous;
        }
        Assert.Equal(0, server.Round);
    }
}
