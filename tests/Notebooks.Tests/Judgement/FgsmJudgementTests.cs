using ModelSecurity.Attacks;
using static TorchSharp.torch;

namespace ModelSecurity.Notebooks.Tests.Judgement;

/// <summary>
/// Exercise 1.3 (<c>01-fgsm/fool-the-survivors</c>): graded by the accuracy the baseline keeps on fresh test images that
/// FGSM does not fool, measured by the grader. An iterative attack passes; FGSM itself (the weak attempt) and an answer
/// that leaves the ε-ball fail.
/// </summary>
public class FgsmJudgementTests
{
    private const string Exercise = "01-fgsm/fool-the-survivors";
    private const string Name = "FoolSurvivors";

    [Fact]
    public void AnIterativeAttackPasses()
    {
        Func<nn.Module<Tensor, Tensor>, Tensor, Tensor, double, Tensor> bim = (model, images, labels, eps) => new Bim(model, eps, steps: 10).Run(images, labels);
        var result = SingleAnswerContext.Grade(Exercise, Name, bim);
        Assert.True(result.Passed, result.Message);
        Assert.Contains("survivors", result.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FgsmAgainFails()
    {
        Func<nn.Module<Tensor, Tensor>, Tensor, Tensor, double, Tensor> fgsm = (model, images, labels, eps) => new Fgsm(model, eps).Run(images, labels);
        var result = SingleAnswerContext.Grade(Exercise, Name, fgsm);
        Assert.False(result.Passed, result.Message);
        Assert.Contains("must fall below", result.Message, StringComparison.Ordinal);
        Assert.Contains("saturated", result.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LeavingTheBallFails()
    {
        // Twice the budget breaks nearly every image, but it is not an attack within ε.
        Func<nn.Module<Tensor, Tensor>, Tensor, Tensor, double, Tensor> tooFar = (model, images, labels, eps) => new Bim(model, 2 * eps, steps: 10).Run(images, labels);
        var result = SingleAnswerContext.Grade(Exercise, Name, tooFar);
        Assert.False(result.Passed, result.Message);
        Assert.Contains("> ε", result.Message, StringComparison.Ordinal);
    }
}
