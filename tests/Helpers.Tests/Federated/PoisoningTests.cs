using ModelSecurity.Federated;
using ModelSecurity.Federated.Partitioning;
using ModelSecurity.Federated.Poisoning;
using ModelSecurity.Federated.Strategies;
using ModelSecurity.Models;
using ModelSecurity.Poisoning;
using ModelSecurity.Training;
using static TorchSharp.torch;

namespace ModelSecurity.Tests.Federated;

[Collection(FederatedDataCollection.Name)]
public class PoisoningTests(FederatedDataFixture data)
{
    [Fact]
    public void TriggerIsASmallWhiteSquareInTheCorner()
    {
        using var images = zeros(2, 1, 28, 28);
        using var stamped = new BackdoorTrigger(size: 3, corner: TriggerCorner.BottomRight, margin: 1).Apply(images);
        Assert.Equal(0f, images.sum().item<float>()); // a copy
        Assert.Equal(18f, stamped.sum().item<float>());
        Assert.Equal(9f, stamped[0, 0, TensorIndex.Slice(24, 27), TensorIndex.Slice(24, 27)].sum().item<float>());
        Assert.Equal(0f, stamped[0, 0, 27, 27].item<float>()); // the margin stays black
        using var topLeft = new BackdoorTrigger(size: 2, corner: TriggerCorner.TopLeft, margin: 0).Apply(images);
        Assert.Equal(1f, topLeft[1, 0, 0, 0].item<float>());
        Assert.Throws<ArgumentException>(() => new BackdoorTrigger(size: 28).Apply(images));
    }

    [Fact]
    public void BackdoorPoisonsTheRequestedShareOfEachBatch()
    {
        using var scope = NewDisposeScope();
        var images = zeros(10, 1, 28, 28);
        var labels = arange(10, dtype: ScalarType.Int64);
        var (poisonedImages, poisonedLabels) = new BackdoorAttack(targetClass: 7, poisonFraction: 0.5).PoisonBatch(images, labels);
        Assert.Equal(new long[] { 7, 7, 7, 7, 7, 5, 6, 7, 8, 9 }, poisonedLabels.data<long>().ToArray());
        Assert.Equal(45f, poisonedImages.sum().item<float>());
        Assert.Equal(0f, images.sum().item<float>());
        Assert.Equal(9L, labels[9].item<long>());
    }

    [Fact]
    public void LabelFlipsAndUpdateAttacksDoWhatTheySay()
    {
        using var scope = NewDisposeScope();
        var labels = arange(10, dtype: ScalarType.Int64);
        Assert.Equal(new long[] { 9, 8, 7, 6, 5, 4, 3, 2, 1, 0 }, LabelFlipAttack.Reverse().PoisonBatch(zeros(10, 1, 28, 28), labels).Labels.data<long>().ToArray());
        Assert.Equal(new long[] { 0, 1, 2, 5, 4, 5, 6, 7, 8, 9 }, LabelFlipAttack.SourceToTarget(3, 5).PoisonBatch(zeros(10, 1, 28, 28), labels).Labels.data<long>().ToArray());
        Assert.Throws<ArgumentOutOfRangeException>(() => LabelFlipAttack.SourceToTarget(3, 3));
        Assert.Throws<ArgumentException>(() => new LabelFlipAttack([0, 1, 2]));

        float[] delta = [1f, -2f];
        new ScaledUpdateAttack(10).PoisonUpdate(delta);
        Assert.Equal(new[] { 10f, -20f }, delta);
        new SignFlipAttack().PoisonUpdate(delta);
        Assert.Equal(new[] { -10f, 20f }, delta);
        Assert.Null(new SignFlipAttack().SuccessRate(new LinearClassifier(), data.Test));
    }

    [Fact]
    public void AttackSuccessCountsTriggeredImagesOfOtherClassesLabelledAsTheTarget()
    {
        using var model = new LinearClassifier();
        var weights = new float[ModelWeights.Count(model)];
        weights[weights.Length - 10 + 4] = 1f; // bias of class 4: the model always answers 4
        ModelWeights.Set(model, weights);
        Assert.Equal(1.0, new BackdoorAttack(targetClass: 4).SuccessRate(model, data.Test));
        Assert.Equal(0.0, new BackdoorAttack(targetClass: 2).SuccessRate(model, data.Test));
        Assert.Equal(1.0, LabelFlipAttack.SourceToTarget(0, 4).SuccessRate(model, data.Test));
        Assert.Equal(0.0, LabelFlipAttack.SourceToTarget(4, 0).SuccessRate(model, data.Test));
    }

    [Fact]
    public void ABoostedClientWrecksFedAvgButNotTheMedian()
    {
        Reproducibility.Seed(1);
        using var model = new Mlp(10, hiddenSize: 32);
        using var clients = FederatedClients.Create(data.Train, Partitioner.Iid(data.Train, clients: 5, seed: 1));
        var options = new FederatedOptions { Rounds = 3, ClientFraction = 1, Local = new LocalTraining { Epochs = 2, BatchSize = 20, LearningRate = 0.1 } };
        var output = new StringWriter();
        var table = PoisoningExperiment.Run(model, clients, data.Test,
            [null, new ScaledUpdateAttack(50)], [() => new FedAvg(), () => new CoordinateWiseMedian()],
            maliciousClients: 1, options, CPU, output);

        Assert.Equal(4, table.Results.Count);
        double honest = table.Find("none", "FedAvg")!.CleanAccuracy;
        double wrecked = table.Find("scaled update (×50)", "FedAvg")!.CleanAccuracy;
        double robust = table.Find("scaled update (×50)", "median")!.CleanAccuracy;
        Assert.True(honest > 0.55, $"honest FedAvg {honest:P1}\n{table}");
        Assert.True(wrecked < 0.3, $"FedAvg under attack {wrecked:P1}\n{table}");
        Assert.True(robust > 0.5, $"median under attack {robust:P1}\n{table}");
        Assert.Null(table.Find("scaled update (×50)", "median")!.AttackSuccessRate);
        Assert.Contains("—", table.ToMarkdown());
        Assert.Contains("median", output.ToString());
        Assert.All(clients, c => Assert.Null(c.Attack)); // restored
    }

    [Fact]
    public void ATargetedAttackIsShownWithItsNoAttackControlEvenWhenListedBeforeTheBaseline()
    {
        Reproducibility.Seed(2);
        using var model = new Mlp(10, hiddenSize: 16);
        using var clients = FederatedClients.Create(data.Train, Partitioner.Iid(data.Train, clients: 4, seed: 2));
        var options = new FederatedOptions { Rounds = 2, ClientFraction = 1, Local = new LocalTraining { Epochs = 1, BatchSize = 20, LearningRate = 0.1 } };
        var backdoor = new BackdoorAttack(targetClass: 0);
        float[] start = ModelWeights.Get(model);
        var table = PoisoningExperiment.Run(model, clients, data.Test, [backdoor, null], [() => new FedAvg()], maliciousClients: 1, options, CPU);

        Assert.Equal("none", table.Results[0].Attack);   // the baseline ran first
        var attacked = table.Find(backdoor.Name, "FedAvg")!;
        Assert.NotNull(attacked.ControlSuccessRate);
        Assert.Null(table.Find("none", "FedAvg")!.ControlSuccessRate);

        // The control is the trigger's success on the attack-free model: train that model again and measure it directly.
        ModelWeights.Set(model, start);
        new FederatedServer(model, clients, new FedAvg(), options, CPU).Run();
        Assert.Equal(backdoor.SuccessRate(model, data.Test, CPU)!.Value, attacked.ControlSuccessRate!.Value, 12);
        Assert.Contains("(no attack: ", table.ToMarkdown());
        Assert.Contains($"(no attack: {attacked.ControlSuccessRate:P1})", attacked.SuccessText(System.Globalization.CultureInfo.CurrentCulture));
        Assert.Equal("—", table.Find("none", "FedAvg")!.SuccessText());
    }
}
