using ModelSecurity.Attacks;
using ModelSecurity.Data;
using ModelSecurity.Defenses;
using ModelSecurity.Models;
using ModelSecurity.Tests.Support;
using ModelSecurity.Training;
using static TorchSharp.torch;

namespace ModelSecurity.Tests.Defenses;

public class AdversarialTrainingTests(TrainedMlpFixture fixture) : IClassFixture<TrainedMlpFixture>
{
    private readonly nn.Module<Tensor, Tensor> _model = fixture.Model;

    private (Tensor Images, Tensor Labels) Batch(int count = 64) =>
        (fixture.Test.Images.narrow(0, 0, count), fixture.Test.Labels.narrow(0, 0, count));

    private static double Accuracy(nn.Module<Tensor, Tensor> model, Tensor images, Tensor labels)
    {
        using var noGrad = no_grad();
        return model.forward(images).argmax(1).eq(labels).to_type(ScalarType.Float64).mean().item<double>();
    }

    [Fact]
    public void PgdAtLossIsCrossEntropyOnThePgdOutput()
    {
        using var scope = NewDisposeScope();
        var (images, labels) = Batch();
        var objective = new PgdAdversarialTraining(0.1, steps: 7);
        Assert.Equal(2.5 * 0.1 / 7, objective.StepSize, 12);
        _model.train();
        try
        {
            manual_seed(11);
            var step = objective.Compute(_model, images, labels);
            Assert.True(_model.training, "the objective must leave the model in training mode for the update");
            manual_seed(11);
            var adversarial = new Pgd(_model, 0.1, stepSize: 2.5 * 0.1 / 7, steps: 7).Run(images, labels);
            using var noGrad = no_grad();
            var expected = nn.functional.cross_entropy(_model.forward(adversarial), labels).item<float>();
            var clean = nn.functional.cross_entropy(_model.forward(images), labels).item<float>();
            Assert.Equal(expected, step.Loss.item<float>(), 5);
            Assert.True(step.Logits.allclose(_model.forward(adversarial), rtol: 0, atol: 1e-5), "reported logits are not those of the PGD output");
            Assert.True(expected > clean + 0.5, $"the adversarial loss {expected:F3} should be well above the clean loss {clean:F3}");
            Assert.True(step.Loss.requires_grad, "the loss must reach the parameters");
        }
        finally
        {
            _model.eval();
        }
    }

    [Fact]
    public void FastAtTakesOneFgsmStepFromARandomStartAndStaysInTheBall()
    {
        using var scope = NewDisposeScope();
        var (images, labels) = Batch(128);
        const double eps = 0.1;
        var objective = new FastAdversarialTraining(eps);
        Assert.Equal(1.25 * eps, objective.StepSize, 12);
        manual_seed(5);
        var adversarial = objective.AdversarialExamples(_model, images, labels);
        var delta = adversarial - images;
        Assert.True(Perturbations.Norms(delta, Norm.LInf).max().item<float>() <= eps + 1e-6, "fast AT left the ε-ball");
        Assert.True(adversarial.min().item<float>() >= 0f && adversarial.max().item<float>() <= 1f, "fast AT left [0, 1]");
        // Away from 0 and 1, a pixel starts uniformly in [−ε, ε] and moves by 1.25ε: it ends on the surface of the ball
        // unless it started more than 0.25ε on the far side, so with probability 0.625 (a zero start would give 1,
        // α = ε from a random start 0.5).
        var interior = images.gt(2 * eps) & images.lt(1 - 2 * eps);
        double onSurface = delta.abs().ge(eps - 1e-6).masked_select(interior).to_type(ScalarType.Float64).mean().item<double>();
        Assert.InRange(onSurface, 0.58, 0.67);
        manual_seed(6);
        var other = objective.AdversarialExamples(_model, images, labels);
        Assert.False(other.eq(adversarial).all().item<bool>(), "two draws gave the same examples: the start is not random");
        Assert.Contains("fast AT", objective.Name);
    }

    [Fact]
    public void TradesWithBetaZeroIsCleanCrossEntropyAndItsKlTermIsNonNegative()
    {
        using var scope = NewDisposeScope();
        var (images, labels) = Batch();
        var zero = new TradesObjective(0.1, beta: 0).ComputeTerms(_model, images, labels);
        using (no_grad())
            Assert.Equal(nn.functional.cross_entropy(_model.forward(images), labels).item<float>(), zero.Loss.item<float>(), 5);

        var terms = new TradesObjective(0.1, beta: 6).ComputeTerms(_model, images, labels);
        Assert.True(terms.RobustLoss.item<float>() > 0.01f, $"the KL term should be clearly positive at ε = 0.1, got {terms.RobustLoss.item<float>()}");
        Assert.Equal(terms.NaturalLoss.item<float>() + 6 * terms.RobustLoss.item<float>(), terms.Loss.item<float>(), 4);
        using var noGrad = no_grad();
        var perExample = TradesKlAttack.KlDivergence(_model.forward(images), _model.forward(terms.Adversarial));
        Assert.True(perExample.min().item<float>() >= -1e-6f, "KL divergence must be ≥ 0 for every example");
        Assert.Equal(perExample.mean().item<float>(), terms.RobustLoss.item<float>(), 5);
        var logits = _model.forward(images);
        Assert.True(TradesKlAttack.KlDivergence(logits, logits).abs().max().item<float>() < 1e-6f, "KL(p ‖ p) must be 0");
    }

    [Fact]
    public void TradesInnerAttackIncreasesTheKlDivergence()
    {
        using var scope = NewDisposeScope();
        var (images, labels) = Batch(128);
        const double eps = 0.1;
        double MeanKl(Tensor adversarial)
        {
            using var noGrad = no_grad();
            return TradesKlAttack.KlDivergence(_model.forward(images), _model.forward(adversarial)).mean().item<float>();
        }
        var attacked = new TradesKlAttack(_model, eps, steps: 10, seed: 3).Run(images, labels);
        var oneStep = new TradesKlAttack(_model, eps, stepSize: 0.025, steps: 1, seed: 3).Run(images, labels);
        var randomPoint = (images + Perturbations.RandomStart(images, eps, Norm.LInf)).clamp(0, 1);
        Assert.True(Perturbations.Norms(attacked - images, Norm.LInf).max().item<float>() <= eps + 1e-6, "the KL attack left the ε-ball");
        Assert.True(attacked.min().item<float>() >= 0f && attacked.max().item<float>() <= 1f, "the KL attack left [0, 1]");
        double kl = MeanKl(attacked), klOneStep = MeanKl(oneStep), klRandom = MeanKl(randomPoint);
        Assert.True(kl > klOneStep && klOneStep > 0, $"more ascent steps should raise the KL: 10 steps {kl:G3}, 1 step {klOneStep:G3}");
        Assert.True(kl > 5 * klRandom, $"the attack's KL {kl:G3} should dwarf a random point's {klRandom:G3}");
        Assert.Throws<NotSupportedException>(() => new TradesKlAttack(_model, eps).RunTargeted(images, labels));
    }

    [Fact]
    public void PgdAtOnASmallSubsetRaisesPgdAccuracyFarAboveStandardTraining()
    {
        using var train = FashionMnist.Load(DataSplit.Train);
        var recipe = new TrainingRecipe { Name = "at-test", Architecture = "mlp", Epochs = 4, BatchSize = 50, LearningRate = 2e-3, Seed = 3, TrainSubset = 2000 };
        nn.Module<Tensor, Tensor> Train(ITrainingObjective objective)
        {
            Reproducibility.Seed(recipe.Seed);
            var model = ModelZoo.Create("mlp");
            new Trainer(SilentTrainingReporter.Instance).Fit(model, train, recipe, CPU, objective: objective);
            return model;
        }
        using var standard = Train(new CrossEntropyObjective());
        using var robust = Train(new PgdAdversarialTraining(0.1, steps: 5));
        using var scope = NewDisposeScope();
        var images = fixture.Test.Images;
        var labels = fixture.Test.Labels;
        double PgdAccuracy(nn.Module<Tensor, Tensor> model) => Accuracy(model, new Pgd(model, 0.1, steps: 10, seed: 1).Run(images, labels), labels);
        double standardRobust = PgdAccuracy(standard), adversarialRobust = PgdAccuracy(robust);
        double robustClean = Accuracy(robust, images, labels);
        Assert.True(adversarialRobust > standardRobust + 0.25,
            $"PGD-AT should raise PGD-10 accuracy at ε = 0.1 well above standard training's: {adversarialRobust:P1} vs {standardRobust:P1}");
        Assert.True(robustClean > 0.5, $"the PGD-trained MLP should still classify clean images: {robustClean:P1}");
    }

    [Fact]
    public void BadArgumentsGiveClearErrors()
    {
        Assert.Contains("≥ 0", Assert.Throws<ArgumentOutOfRangeException>(() => new PgdAdversarialTraining(-0.1)).Message);
        Assert.Contains("steps", Assert.Throws<ArgumentOutOfRangeException>(() => new PgdAdversarialTraining(0.1, steps: 0)).Message);
        Assert.Contains("stepSize", Assert.Throws<ArgumentOutOfRangeException>(() => new PgdAdversarialTraining(0.1, stepSize: double.NaN)).Message);
        Assert.Contains("finite", Assert.Throws<ArgumentOutOfRangeException>(() => new FastAdversarialTraining(double.PositiveInfinity)).Message);
        Assert.Contains("beta", Assert.Throws<ArgumentOutOfRangeException>(() => new TradesObjective(0.1, beta: -1)).Message);
        Assert.Contains("steps", Assert.Throws<ArgumentOutOfRangeException>(() => new TradesKlAttack(_model, 0.1, steps: 0)).Message);
        Assert.Throws<ArgumentNullException>(() => new PgdAdversarialTraining(0.1).Compute(null!, zeros(1), zeros(1)));
        using var scope = NewDisposeScope();
        var (images, labels) = Batch(4);
        Assert.Contains("int64", Assert.Throws<ArgumentException>(
            () => new TradesObjective(0.1).Compute(_model, images, labels.to_type(ScalarType.Float32))).Message);
        Assert.Contains("[0, 1]", Assert.Throws<ArgumentException>(
            () => new PgdAdversarialTraining(0.1).Compute(_model, images * 3, labels)).Message);
    }
}
