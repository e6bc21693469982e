using ModelSecurity.Grading;
using ModelSecurity.Poisoning;
using static TorchSharp.torch;

namespace ModelSecurity.Notebooks.Tests.Judgement;

/// <summary>
/// Chapter 08's judgement exercise <c>backdoor-budget</c>: a BadNets poison set within the budget reaches the grader's
/// attack-success bar on the MLP the grader trains itself; plausible weak attempts (correctly labelled triggered images,
/// too few poisons, a trigger elsewhere than the one tested) do not. The check runs in-process with the answers as plain
/// delegates, so no notebook runs; each grade trains two small MLPs (a few seconds).
/// </summary>
public class PoisoningJudgementTests
{
    private const string Exercise = "08-poisoning-stealing-inversion/backdoor-budget";


    private static ExerciseResult Grade(Func<Tensor, Tensor, int, int, (Tensor Images, Tensor Labels)> answer) =>
        SingleAnswerContext.Grade(Exercise, "CraftBackdoor", answer);

    /// <summary>The trigger on <paramref name="count"/> images picked by <paramref name="pick"/>, labelled <paramref name="label"/>.</summary>
    private static (Tensor Images, Tensor Labels) Stamp(Tensor images, Tensor labels, int count, Func<long, bool> pick, Func<long, long> label, BackdoorTrigger? trigger = null)
    {
        long[] all = labels.data<long>().ToArray();
        long[] rows = Enumerable.Range(0, all.Length).Where(i => pick(all[i])).Take(count).Select(i => (long)i).ToArray();
        var chosen = images.index_select(0, tensor(rows));
        return ((trigger ?? new BackdoorTrigger()).Apply(chosen), tensor(rows.Select(r => label(all[r])).ToArray()));
    }

    [Fact]
    public void BadNetsWithinTheBudgetPasses()
    {
        var result = Grade((images, labels, budget, target) => Stamp(images, labels, budget, y => y != target, _ => target));
        Assert.True(result.Passed, result.Message);
    }

    [Fact]
    public void CorrectlyLabelledTriggeredImagesFail()
    {
        var result = Grade((images, labels, budget, target) => Stamp(images, labels, budget, y => y == target, y => y));
        Assert.False(result.Passed, result.Message);
        Assert.Contains("attack success rate of at least", result.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TooFewPoisonsFail()
    {
        var result = Grade((images, labels, budget, target) => Stamp(images, labels, 8, y => y != target, _ => target));
        Assert.False(result.Passed, result.Message);
    }

    [Fact]
    public void ATriggerInAnotherCornerFails()
    {
        var result = Grade((images, labels, budget, target) =>
            Stamp(images, labels, budget, y => y != target, _ => target, new BackdoorTrigger(corner: TriggerCorner.TopLeft)));
        Assert.False(result.Passed, result.Message);
    }

    [Fact]
    public void MoreThanTheBudgetIsRefused()
    {
        var result = Grade((images, labels, budget, target) => Stamp(images, labels, budget + 1, y => y != target, _ => target));
        Assert.False(result.Passed, result.Message);
        Assert.Contains("k ≤", result.Message, StringComparison.Ordinal);
    }
}
