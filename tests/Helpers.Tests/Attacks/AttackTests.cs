using ModelSecurity.Attacks;
using ModelSecurity.Models;
using ModelSecurity.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;

namespace ModelSecurity.Tests.Attacks;

public class AttackTests(TrainedMlpFixture fixture) : IClassFixture<TrainedMlpFixture>
{
    private readonly nn.Module<Tensor, Tensor> _model = fixture.Model;

    private (Tensor Images, Tensor Labels) Batch(int count = 64)
    {
        var images = fixture.Test.Images.narrow(0, 0, count);
        var labels = fixture.Test.Labels.narrow(0, 0, count);
        return (images, labels);
    }

    private static double MeanLoss(nn.Module<Tensor, Tensor> model, Tensor images, Tensor labels)
    {
        using var noGrad = no_grad();
        return nn.functional.cross_entropy(model.forward(images), labels).item<float>();
    }

    private static double Accuracy(nn.Module<Tensor, Tensor> model, Tensor images, Tensor labels)
    {
        using var noGrad = no_grad();
        return model.forward(images).argmax(1).eq(labels).to_type(ScalarType.Float64).mean().item<double>();
    }

    [Fact]
    public void FgsmOnALinearModelEqualsItsClosedForm()
    {
        using var scope = NewDisposeScope();
        manual_seed(3);
        var linear = ModelZoo.Create("linear");
        linear.eval();
        var (images, labels) = Batch(16);
        const double eps = 0.05;
        var adversarial = new Fgsm(linear, eps).Run(images, labels);

        // For logits z = W x + b, ∇ₓ CE = Wᵀ (softmax(z) − onehot(y)); FGSM moves by ε·sign of it, then clips.
        var parameters = linear.parameters().ToArray();
        var weight = parameters.Single(p => p.ndim == 2);
        var bias = parameters.Single(p => p.ndim == 1);
        using var noGrad = no_grad();
        var flat = images.flatten(1);
        var probabilities = (flat.matmul(weight.t()) + bias).softmax(1);
        var gradient = (probabilities - nn.functional.one_hot(labels, 10).to_type(ScalarType.Float32)).matmul(weight);
        var expected = (flat + eps * gradient.sign()).clamp(0, 1).view(images.shape);
        Assert.True(adversarial.allclose(expected, rtol: 0, atol: 1e-6), "FGSM differs from x + ε·sign(Wᵀ(p − y))");
    }

    public static TheoryData<string> AttackNames => new() { "fgsm", "bim", "pgd-linf", "pgd-l2", "pgd-restarts", "cw", "apgd", "apgd-restarts" };

    private Attack Create(string name, double eps) => name switch
    {
        "fgsm" => new Fgsm(_model, eps),
        "bim" => new Bim(_model, eps, steps: 5),
        "pgd-linf" => new Pgd(_model, eps, steps: 5, seed: 1),
        "pgd-l2" => new Pgd(_model, eps * 10, steps: 5, norm: Norm.L2, seed: 1),
        "pgd-restarts" => new Pgd(_model, eps, steps: 3, restarts: 3, seed: 1),
        "cw" => new CarliniWagnerL2(_model, steps: 20, binarySearchSteps: 2),
        "apgd" => new Apgd(_model, eps, iterations: 10, seed: 1),
        "apgd-restarts" => new Apgd(_model, eps, iterations: 5, restarts: 3, seed: 1),
        _ => throw new ArgumentException(name),
    };

    [Theory]
    [MemberData(nameof(AttackNames))]
    public void EveryAttackStaysInItsBallAndInTheValidRange(string name)
    {
        using var scope = NewDisposeScope();
        var (images, labels) = Batch(32);
        const double eps = 0.1;
        var attack = Create(name, eps);
        var adversarial = attack.Run(images, labels);
        Assert.Equal(images.shape, adversarial.shape);
        Assert.True(adversarial.min().item<float>() >= 0f && adversarial.max().item<float>() <= 1f, "output leaves [0, 1]");
        var delta = adversarial - images;
        if (attack is Pgd { Norm: Norm.L2 } pgdL2)
            Assert.True(Perturbations.Norms(delta, Norm.L2).max().item<float>() <= pgdL2.Epsilon + 1e-4, "L2 ball violated");
        else if (attack is not CarliniWagnerL2)
            Assert.True(Perturbations.Norms(delta, Norm.LInf).max().item<float>() <= eps + 1e-6, "L∞ ball violated");
    }

    [Fact]
    public void PgdWithOneStepOfSizeEpsilonAndNoRandomStartIsFgsm()
    {
        using var scope = NewDisposeScope();
        var (images, labels) = Batch();
        var pgd = new Pgd(_model, 0.07, stepSize: 0.07, steps: 1, randomStart: false).Run(images, labels);
        var fgsm = new Fgsm(_model, 0.07).Run(images, labels);
        Assert.True(pgd.allclose(fgsm, rtol: 0, atol: 1e-6));
    }

    [Fact]
    public void PgdOnStepSeesEveryIterateAndTheLastIsTheResult()
    {
        using var scope = NewDisposeScope();
        var (images, labels) = Batch(16);
        var seen = new List<(int Run, int Step, Tensor Adversarial)>();
        var pgd = new Pgd(_model, 0.05, steps: 4, seed: 1)
        {
            OnStep = s => seen.Add((s.Run, s.Step, s.Adversarial.clone().DetachFromDisposeScope())),
        };
        var result = pgd.Run(images, labels);
        Assert.Equal([(0, 1), (0, 2), (0, 3), (0, 4)], seen.Select(s => (s.Run, s.Step)));
        Assert.True(seen[^1].Adversarial.allclose(result, rtol: 0, atol: 0), "the last iterate differs from the result");
        // Iterates are prefixes: PGD with fewer steps (same seed and step size) stops at the same point.
        var twoSteps = new Pgd(_model, 0.05, stepSize: pgd.StepSize, steps: 2, seed: 1).Run(images, labels);
        Assert.True(seen[1].Adversarial.allclose(twoSteps, rtol: 0, atol: 1e-6), "the second iterate differs from PGD-2");
        foreach (var s in seen) s.Adversarial.Dispose();

        int calls = 0;
        new Pgd(_model, 0.05, steps: 2, restarts: 2, seed: 1) { OnStep = s => { calls++; Assert.Equal(s.Images.shape[0], s.Labels.shape[0]); } }
            .Run(images, labels);
        Assert.InRange(calls, 2, 4); // the second run only happens if some example survived the first
    }

    [Fact]
    public void PgdIsStrongerThanFgsmAndRobustAccuracyFallsWithEpsilon()
    {
        using var scope = NewDisposeScope();
        var (images, labels) = Batch(128);
        var fgsm = new Fgsm(_model, 0.05).Run(images, labels);
        var pgd = new Pgd(_model, 0.05, steps: 10, seed: 1).Run(images, labels);
        Assert.True(MeanLoss(_model, pgd, labels) >= MeanLoss(_model, fgsm, labels));

        double[] accuracies = new[] { 0.0, 0.02, 0.05, 0.1, 0.2 }
            .Select(eps => Accuracy(_model, new Pgd(_model, eps, steps: 10, seed: 1).Run(images, labels), labels)).ToArray();
        for (int i = 1; i < accuracies.Length; i++)
            Assert.True(accuracies[i] <= accuracies[i - 1] + 1e-9, $"robust accuracy rose with ε: {string.Join(", ", accuracies)}");
        Assert.True(accuracies[0] > 0.6, $"the fixture model should be accurate, got {accuracies[0]:P1}");
        Assert.True(accuracies[^1] < 0.05, $"PGD at ε = 0.2 should break an undefended MLP, got {accuracies[^1]:P1}");
    }

    [Fact]
    public void TargetedAttacksReachTheTarget()
    {
        using var scope = NewDisposeScope();
        var (images, labels) = Batch(64);
        var targets = (labels + 1).remainder(10);
        var adversarial = new Pgd(_model, 0.3, steps: 20, seed: 2).RunTargeted(images, targets);
        double reached = Accuracy(_model, adversarial, targets);
        Assert.True(reached > 0.9, $"targeted PGD should reach its target on almost every example; reached {reached:P1}");

        // C&W moves pixels through tanh, so pixels at exactly 0 or 1 barely move: ask it for each example's
        // runner-up class, a target that does not need the background lit up.
        Tensor runnerUp;
        using (no_grad()) runnerUp = _model.forward(images).topk(2, 1).indexes.select(1, 1);
        var cw = new CarliniWagnerL2(_model, initialConstant: 1, steps: 100, binarySearchSteps: 4).RunTargeted(images, runnerUp);
        double cwReached = Accuracy(_model, cw, runnerUp);
        Assert.True(cwReached > 0.9, $"targeted C&W should reach the runner-up class on almost every example; reached {cwReached:P1}");
    }

    [Fact]
    public void CarliniWagnerFindsSmallerPerturbationsThanPgdL2()
    {
        using var scope = NewDisposeScope();
        var (images, labels) = Batch(64);
        var pgd = new Pgd(_model, 2.0, steps: 20, norm: Norm.L2, seed: 3).Run(images, labels);
        var cw = new CarliniWagnerL2(_model, steps: 100, binarySearchSteps: 5).Run(images, labels);
        using var noGrad = no_grad();
        var pgdSuccess = _model.forward(pgd).argmax(1).ne(labels);
        var cwSuccess = _model.forward(cw).argmax(1).ne(labels);
        var both = pgdSuccess & cwSuccess;
        Assert.True(both.sum().item<long>() >= 32, "both attacks should succeed on most examples");
        var pgdNorm = Perturbations.Norms(pgd - images, Norm.L2).masked_select(both).mean().item<float>();
        var cwNorm = Perturbations.Norms(cw - images, Norm.L2).masked_select(both).mean().item<float>();
        Assert.True(cwNorm < pgdNorm, $"C&W mean L2 {cwNorm:F3} should be below PGD-L2's {pgdNorm:F3}");
    }

    [Theory]
    [MemberData(nameof(AttackNames))]
    public void AttacksLeaveTheModelUnchanged(string name)
    {
        using var scope = NewDisposeScope();
        var (images, labels) = Batch(16);
        var before = _model.parameters().Select(p => p.detach().clone()).ToList();
        var gradientsBefore = _model.parameters().Select(p => p.grad?.detach().clone()).ToList();
        _model.train();
        Create(name, 0.1).Run(images, labels);
        Assert.True(_model.training, "the attack must restore the model's training mode");
        _model.eval();
        var after = _model.parameters().ToList();
        for (int i = 0; i < before.Count; i++)
        {
            Assert.True(after[i].eq(before[i]).all().item<bool>(), $"parameter {i} changed");
            Assert.True(after[i].requires_grad, "requires_grad must be restored");
            var gradient = after[i].grad;
            bool unchanged = gradientsBefore[i] is null ? gradient is null || gradient.abs().sum().item<float>() == 0
                                                        : gradient is not null && gradient.eq(gradientsBefore[i]!).all().item<bool>();
            Assert.True(unchanged, "the attack changed the model's gradients");
        }
    }

    [Fact]
    public void BadArgumentsGiveClearErrors()
    {
        using var scope = NewDisposeScope();
        var (images, labels) = Batch(4);
        Assert.Contains("≥ 0", Assert.Throws<ArgumentOutOfRangeException>(() => new Fgsm(_model, -0.1)).Message);
        Assert.Contains("finite", Assert.Throws<ArgumentOutOfRangeException>(() => new Pgd(_model, double.NaN)).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => new Pgd(_model, 0.1, steps: 0));
        Assert.Contains("Unknown norm", Assert.Throws<ArgumentOutOfRangeException>(() => new Pgd(_model, 0.1, norm: (Norm)7)).Message);
        var fgsm = new Fgsm(_model, 0.1);
        Assert.Contains("unsqueeze", Assert.Throws<ArgumentException>(() => fgsm.Run(images[0].flatten(), labels)).Message);
        Assert.Contains("(N) = (4)", Assert.Throws<ArgumentException>(() => fgsm.Run(images, labels.narrow(0, 0, 3))).Message);
        Assert.Contains("[0, 9]", Assert.Throws<ArgumentException>(() => fgsm.Run(images, labels + 10)).Message);
        Assert.Contains("int64", Assert.Throws<ArgumentException>(() => fgsm.Run(images, labels.to_type(ScalarType.Float32))).Message);
        Assert.Contains("[0, 1]", Assert.Throws<ArgumentException>(() => fgsm.Run((images - 0.5) / 0.3, labels)).Message);
    }
}
