using ModelSecurity.Data;
using ModelSecurity.Models;
using ModelSecurity.Poisoning;
using ModelSecurity.Training;
using static TorchSharp.torch;

namespace ModelSecurity.Tests.Poisoning;

public class DataPoisoningTests
{
    /// <summary>60 black images, six of each class 0 … 9.</summary>
    private static ImageDataset Blank()
    {
        using var scope = NewDisposeScope();
        var labels = arange(60, dtype: ScalarType.Int64).remainder(10);
        return new ImageDataset("blank", zeros(60, 1, 28, 28), labels, FashionMnist.ClassNames);
    }

    private static long[] ChangedRows(Tensor before, Tensor after)
    {
        using var scope = NewDisposeScope();
        var differs = before.ne(after);
        if (differs.ndim > 1) differs = differs.flatten(1).any(1);
        return nonzero(differs).squeeze(1).data<long>().ToArray();
    }

    [Fact]
    public void BadNetsTriggersExactlyTheChosenFractionOfTheOtherClassesAndRelabelsOnlyThose()
    {
        using var data = Blank();
        var trigger = new BackdoorTrigger();
        using var poisoned = DataPoisoning.Backdoor(data, trigger, targetClass: 0, fraction: 0.2, seed: 3);

        Assert.Equal(11, poisoned.PoisonedCount); // round(0.2 × 54)
        Assert.All(poisoned.PoisonedIndices, i => Assert.NotEqual(0L, data.Labels[i].item<long>()));
        Assert.Equal(poisoned.PoisonedIndices, ChangedRows(data.Labels, poisoned.Data.Labels));
        Assert.Equal(poisoned.PoisonedIndices, ChangedRows(data.Images, poisoned.Data.Images));
        Assert.All(poisoned.PoisonedIndices, i =>
        {
            Assert.Equal(0L, poisoned.Data.Labels[i].item<long>());
            Assert.Equal(9f, poisoned.Data.Images[i].sum().item<float>()); // the 3×3 white square, nothing else
        });
        Assert.Equal(0f, data.Images.sum().item<float>()); // the input is untouched

        using var again = DataPoisoning.Backdoor(data, trigger, targetClass: 0, fraction: 0.2, seed: 3);
        Assert.Equal(poisoned.PoisonedIndices, again.PoisonedIndices);
        using var other = DataPoisoning.Backdoor(data, trigger, targetClass: 0, fraction: 0.2, seed: 4);
        Assert.NotEqual(poisoned.PoisonedIndices, other.PoisonedIndices);
        Assert.Throws<ArgumentOutOfRangeException>(() => DataPoisoning.Backdoor(data, trigger, targetClass: 10, fraction: 0.2));
        Assert.Throws<ArgumentOutOfRangeException>(() => DataPoisoning.Backdoor(data, trigger, targetClass: 0, fraction: 1.5));
    }

    [Fact]
    public void LabelFlippingChangesOnlyTheChosenLabels()
    {
        using var data = Blank();
        using var reversed = DataPoisoning.FlipLabels(data, LabelMap.Reverse(), fraction: 0.25, seed: 1);
        Assert.Equal(15, reversed.PoisonedCount);
        Assert.Equal(reversed.PoisonedIndices, ChangedRows(data.Labels, reversed.Data.Labels));
        Assert.Empty(ChangedRows(data.Images, reversed.Data.Images));
        Assert.All(reversed.PoisonedIndices, i => Assert.Equal(9 - data.Labels[i].item<long>(), reversed.Data.Labels[i].item<long>()));

        using var oneClass = DataPoisoning.FlipLabels(data, LabelMap.SourceToTarget(3, 5), fraction: 0.5, seed: 1);
        Assert.Equal(3, oneClass.PoisonedCount); // half of the six 3s
        Assert.All(oneClass.PoisonedIndices, i => Assert.Equal(5L, oneClass.Data.Labels[i].item<long>()));
        Assert.Throws<ArgumentException>(() => DataPoisoning.FlipLabels(data, LabelMap.Reverse(5), 0.1));
    }

    [Fact]
    public void CleanLabelPoisonsOnlyTargetImagesAndKeepsEveryLabel()
    {
        Reproducibility.Seed(0);
        using var surrogate = new LinearClassifier();
        using var data = Blank();
        using var poisoned = DataPoisoning.CleanLabelBackdoor(data, new BackdoorTrigger(), targetClass: 2, fraction: 0.5, surrogate, epsilon: 0.1, steps: 3);

        Assert.Equal(3, poisoned.PoisonedCount);
        Assert.All(poisoned.PoisonedIndices, i => Assert.Equal(2L, data.Labels[i].item<long>()));
        Assert.Empty(ChangedRows(data.Labels, poisoned.Data.Labels));
        Assert.Equal(poisoned.PoisonedIndices, ChangedRows(data.Images, poisoned.Data.Images));
        foreach (long i in poisoned.PoisonedIndices)
        {
            using var image = poisoned.Data.Images[i];
            Assert.Equal(1f, image[0, 25, 25].item<float>()); // trigger
            using var outside = image[0, TensorIndex.Slice(0, 20), TensorIndex.Slice(0, 20)];
            Assert.True(outside.max().item<float>() <= 0.1f + 1e-6f, "the perturbation stays within ε");
        }
    }

    [Fact]
    public void TriggerOnChosenRowsOnly()
    {
        using var images = zeros(4, 1, 28, 28);
        using var stamped = new BackdoorTrigger(size: 2).ApplyTo(images, [1, 3]);
        Assert.Equal(new long[] { 1, 3 }, ChangedRows(images, stamped));
        Assert.Throws<ArgumentException>(() => new BackdoorTrigger().ApplyTo(images, [4]));
        Assert.Throws<ArgumentException>(() => LabelMap.Reverse().Apply(tensor(new long[] { 10 })));
    }

    [Fact]
    public void ABadNetsModelKeepsCleanAccuracyAndObeysTheTrigger()
    {
        using var train = FashionMnist.Load(DataSplit.Train);
        using var subset = train.Subset(3000, seed: 5);
        using var test = FashionMnist.Load(DataSplit.Test);
        using var testSubset = test.Subset(500, seed: 6);
        var trigger = new BackdoorTrigger();
        var recipe = new TrainingRecipe { Name = "badnets-test", Architecture = "mlp", Epochs = 4, BatchSize = 64, LearningRate = 2e-3, Seed = 1 };

        using var poisoned = DataPoisoning.Backdoor(subset, trigger, targetClass: 0, fraction: 0.1, seed: 1);
        Reproducibility.Seed(1);
        using var model = ModelZoo.Create("mlp");
        new Trainer(SilentTrainingReporter.Instance).Fit(model, poisoned.Data, recipe, CPU);
        Reproducibility.Seed(1);
        using var clean = ModelZoo.Create("mlp");
        new Trainer(SilentTrainingReporter.Instance).Fit(clean, subset, recipe, CPU);

        double asr = trigger.AttackSuccessRate(model, testSubset, 0), cleanAsr = trigger.AttackSuccessRate(clean, testSubset, 0);
        double accuracy = Evaluator.Evaluate(model, testSubset).Accuracy, cleanAccuracy = Evaluator.Evaluate(clean, testSubset).Accuracy;
        Assert.True(asr > 0.9, $"attack success {asr:P1}");
        Assert.True(cleanAsr < 0.2, $"the clean model's 'attack success' {cleanAsr:P1}");
        Assert.True(accuracy > cleanAccuracy - 0.05, $"clean accuracy {accuracy:P1} vs {cleanAccuracy:P1} without poisoning");
    }
}
