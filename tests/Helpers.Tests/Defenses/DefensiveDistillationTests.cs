using ModelSecurity.Attacks;
using ModelSecurity.Data;
using ModelSecurity.Defenses;
using ModelSecurity.Explanations;
using ModelSecurity.Models;
using ModelSecurity.Training;
using static TorchSharp.torch;

namespace ModelSecurity.Tests.Defenses;

/// <summary>An MLP teacher and student distilled at T = 20 on part of Fashion-MNIST (a few seconds).</summary>
public sealed class DistilledMlpFixture : IDisposable
{
    public const double Temperature = 20;

    public DistilledMlpFixture()
    {
        using var train = FashionMnist.Load(DataSplit.Train);
        using var subset = train.Subset(6000, seed: 1);
        var recipe = new TrainingRecipe { Name = "test-distillation", Architecture = "mlp", Epochs = 4, BatchSize = 100, LearningRate = 2e-3, Seed = 1 };
        Reproducibility.Seed(1);
        Teacher = ModelZoo.Create("mlp");
        new Trainer(SilentTrainingReporter.Instance).Fit(Teacher, subset, recipe, CPU, objective: new TemperatureCrossEntropy(Temperature));
        Reproducibility.Seed(2);
        Student = ModelZoo.Create("mlp");
        new Trainer(SilentTrainingReporter.Instance).Fit(Student, subset, recipe with { Seed = 2 }, CPU, objective: new DistillationObjective(Teacher, Temperature));
        Reproducibility.Seed(3);
        Standard = ModelZoo.Create("mlp");
        new Trainer(SilentTrainingReporter.Instance).Fit(Standard, subset, recipe with { Seed = 3 }, CPU);
        Standard.eval();
        using var test = FashionMnist.Load(DataSplit.Test);
        Test = test.Subset(64, seed: 2);
        Teacher.eval();
        Student.eval();
    }

    public nn.Module<Tensor, Tensor> Teacher { get; }

    public nn.Module<Tensor, Tensor> Student { get; }

    /// <summary>The same MLP trained normally, for comparison.</summary>
    public nn.Module<Tensor, Tensor> Standard { get; }

    public ImageDataset Test { get; }

    public void Dispose()
    {
        Test.Dispose();
        Teacher.Dispose();
        Student.Dispose();
        Standard.Dispose();
    }
}

public class DefensiveDistillationTests(DistilledMlpFixture fixture) : IClassFixture<DistilledMlpFixture>
{
    [Fact]
    public void TemperatureOneIsOrdinaryCrossEntropyAndSoftLabelsAreTheTeachersTemperedSoftmax()
    {
        using var scope = NewDisposeScope();
        var images = fixture.Test.Images.narrow(0, 0, 8);
        var labels = fixture.Test.Labels.narrow(0, 0, 8);
        using var noGrad = no_grad();
        var plain = new CrossEntropyObjective().Compute(fixture.Teacher, images, labels).Loss.item<float>();
        var tempered = new TemperatureCrossEntropy(1).Compute(fixture.Teacher, images, labels).Loss.item<float>();
        Assert.Equal(plain, tempered, 5);
        var soft = new DistillationObjective(fixture.Teacher, 100).SoftLabels(images);
        Assert.True(soft.allclose((fixture.Teacher.forward(images) / 100).softmax(1), rtol: 0, atol: 1e-6));
        Assert.True(soft.sum(1).allclose(ones(8), rtol: 0, atol: 1e-5));
    }

    [Fact]
    public void LossGradientsVanishButCarliniWagnerOnTheLogitsBreaksTheStudent()
    {
        using var scope = NewDisposeScope();
        var images = fixture.Test.Images.narrow(0, 0, 32);
        var labels = fixture.Test.Labels.narrow(0, 0, 32);
        double Accuracy(Tensor x, nn.Module<Tensor, Tensor>? model = null)
        {
            using var noGrad = no_grad();
            return (model ?? fixture.Student).forward(x).argmax(1).eq(labels).to_type(ScalarType.Float64).mean().item<double>();
        }
        double clean = Accuracy(images);
        Assert.True(clean > 0.6, $"the distilled student is only {clean:P0} accurate (teacher {Accuracy(images, fixture.Teacher):P0})");
        // At T = 1 the softmax saturates: the cross-entropy gradients the attacks follow shrink by orders of magnitude
        // (exactly 0 in float32 once the logit gaps exceed ~100), while the logits themselves still respond to the input.
        Assert.True(Saliency.Compute(fixture.Student, images, labels).abs().sum().item<float>() > 0);
        double MedianLossGradient(nn.Module<Tensor, Tensor> model)
        {
            using var gradients = enable_grad();
            var x = images.detach().requires_grad_(true);
            var loss = nn.functional.cross_entropy(model.forward(x), labels, reduction: nn.Reduction.None).sum();
            var g = autograd.grad(new[] { loss }, new[] { x })[0];
            return g.flatten(1).abs().amax(new long[] { 1 }).median().item<float>();
        }
        double distilled = MedianLossGradient(fixture.Student), standard = MedianLossGradient(fixture.Standard);
        Assert.True(distilled < 1e-3 * standard, $"median largest |∂CE/∂x|: distilled {distilled:G3}, standard {standard:G3}");
        double cw = Accuracy(new CarliniWagnerL2(fixture.Student, steps: 50, binarySearchSteps: 3).Run(images, labels));
        Assert.True(cw < 0.2, $"C&W on the logits left {cw:P0} accuracy; expected it to break distillation");
    }

    [Fact]
    public void TemperatureBelowOneIsRefused()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new TemperatureCrossEntropy(0.5));
        Assert.Contains("≥ 1", e.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => new DistillationObjective(fixture.Teacher, double.NaN));
    }
}
