using ModelSecurity.Attacks;
using ModelSecurity.Defenses;
using ModelSecurity.Grading;
using static TorchSharp.torch;

namespace ModelSecurity.Notebooks.Tests.Judgement;

/// <summary>
/// Exercise 2.4 (<c>02-pgd-and-cw/break-masked</c>): an attack of the learner's choice against the gradient-masked
/// baseline, graded by the robust accuracy the grader measures on its own copy of the model. Square (gradient-free) and
/// BPDA pass; PGD (the weak attempt, stopped by the zero gradient), an answer outside the budget and an answer that
/// sabotages the model it was handed fail.
/// </summary>
public class PgdJudgementTests
{
    private const string Exercise = "02-pgd-and-cw/break-masked";
    private const string Name = "BreakIt";

    private static ExerciseResult Grade(Func<nn.Module<Tensor, Tensor>, Tensor, Tensor, double, Tensor> answer) =>
        SingleAnswerContext.Grade(Exercise, Name, answer);

    [Fact]
    public void SquarePasses()
    {
        var result = Grade((model, images, labels, eps) => new SquareAttack(model, eps, maxQueries: 1000, seed: 0).Run(images, labels));
        Assert.True(result.Passed, result.Message);
    }

    [Fact]
    public void BpdaThroughTheWrappedModelPasses()
    {
        var result = Grade((model, images, labels, eps) => new Pgd(((QuantizedInput)model).Inner, eps, steps: 20, seed: 0).Run(images, labels));
        Assert.True(result.Passed, result.Message);
    }

    [Fact]
    public void PgdOnTheMaskedModelFails()
    {
        var result = Grade((model, images, labels, eps) => new Pgd(model, eps, steps: 20, seed: 0).Run(images, labels));
        Assert.False(result.Passed, result.Message);
        Assert.Contains("gradient of this model is 0", result.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LeavingTheBallFails()
    {
        var result = Grade((model, images, labels, eps) => new SquareAttack(model, 3 * eps, maxQueries: 200, seed: 0).Run(images, labels));
        Assert.False(result.Passed, result.Message);
        Assert.Contains("> ε", result.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SabotagingTheModelItWasGivenDoesNotHelp()
    {
        // Zeroing the weights of the model it was handed, then returning the clean images: the grader evaluates its own copy.
        var result = Grade((model, images, labels, eps) =>
        {
            using (no_grad()) foreach (var p in model.parameters()) p.zero_();
            return images.clone();
        });
        Assert.False(result.Passed, result.Message);
        Assert.Contains("unchanged", result.Message, StringComparison.Ordinal);
    }
}
