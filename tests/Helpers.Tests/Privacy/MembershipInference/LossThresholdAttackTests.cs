using ModelSecurity.Models;
using ModelSecurity.Privacy.MembershipInference;
using ModelSecurity.Training;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace ModelSecurity.Tests.Privacy.MembershipInference;

public class LossThresholdAttackTests(OverfitTargetFixture target, ITestOutputHelper output) : IClassFixture<OverfitTargetFixture>
{
    [Fact]
    public void TheOverfitModelLeaksMembership()
    {
        Assert.True(target.TrainAccuracy > 0.97, $"the target should memorise its 300 images, got {target.TrainAccuracy:P1}");

        var result = LossThresholdAttack.Run(target.Target, target.Members, target.NonMembers, CPU,
            target.CalibrationMembers, target.CalibrationNonMembers);
        output.WriteLine($"target train/held-out accuracy {target.TrainAccuracy:P1}/{target.HeldOutAccuracy:P1}");
        output.WriteLine(result.ToString());

        Assert.True(result.Auc > 0.6, $"AUC {result.Auc:F3}");
        Assert.Equal(ThresholdSource.Calibration, result.ThresholdSource);
        Assert.True(result.Decision.Advantage > 0.1, $"calibrated advantage {result.Decision.Advantage:F3}");
        Assert.True(result.BestAdvantage >= result.Decision.Advantage - 1e-12, "the in-sample best bounds the calibrated rule");

        var inSample = LossThresholdAttack.Run(target.Target, target.Members, target.NonMembers);
        Assert.Equal(ThresholdSource.BestOnEvaluation, inSample.ThresholdSource);
        Assert.Equal(inSample.BestAdvantage, inSample.Decision.Advantage, 12);
        Assert.Equal(result.Auc, inSample.Auc, 12);

        // Yeom et al.'s threshold: minus the average training loss
        double threshold = LossThresholdAttack.YeomThreshold(MembershipScores.Compute(target.Target, target.TargetTrain));
        var yeom = LossThresholdAttack.Evaluate(MembershipScores.Compute(target.Target, target.Members).NegativeLosses(),
            MembershipScores.Compute(target.Target, target.NonMembers).NegativeLosses(), threshold, ThresholdSource.Fixed);
        output.WriteLine($"Yeom threshold {threshold:G4}: {yeom.Decision}");
        Assert.Equal(ThresholdSource.Fixed, yeom.ThresholdSource);
        Assert.Equal(threshold, yeom.Decision.Threshold);
        Assert.True(yeom.Decision.Advantage > 0.1, $"advantage at Yeom's threshold {yeom.Decision.Advantage:F3}");
    }

    [Fact]
    public void ScoresAreLossesAndConfidences()
    {
        var scores = MembershipScores.Compute(target.Target, target.Members, batchSize: 64);
        Assert.Equal(200, scores.Count);
        var evaluation = Evaluator.Evaluate(target.Target, target.Members);
        Assert.Equal(evaluation.Loss, scores.Losses.Average(), 4);
        for (int i = 0; i < scores.Count; i++)
        {
            Assert.Equal(Math.Exp(-scores.Losses[i]), scores.TrueClassConfidences[i], 6);
            Assert.Equal(1.0, scores.Probabilities[i].Sum(), 4);
            Assert.Equal(scores.Probabilities[i][scores.Labels[i]], scores.TrueClassConfidences[i], 5);
        }
        Assert.False(target.Target.training);
    }

    [Fact]
    public void AnUntrainedModelLeaksNothing()
    {
        Reproducibility.Seed(3);
        using var untrained = ModelZoo.Create("mlp");
        var result = LossThresholdAttack.Run(untrained, target.Members, target.NonMembers, CPU,
            target.CalibrationMembers, target.CalibrationNonMembers);
        output.WriteLine(result.ToString());
        Assert.InRange(result.Auc, 0.4, 0.6); // standard error ≈ 0.03 with 200 + 200 examples
        Assert.InRange(result.Decision.Advantage, -0.15, 0.15);
    }

    [Fact]
    public void BadArgumentsAreRejected()
    {
        using var empty = target.Members.Take(0);
        Assert.Contains("empty", Assert.Throws<ArgumentException>(() => LossThresholdAttack.Run(target.Target, empty, target.NonMembers)).Message);
        Assert.Throws<ArgumentException>(() =>
            LossThresholdAttack.Run(target.Target, target.Members, target.NonMembers, CPU, calibrationMembers: target.CalibrationMembers));
        using var threeClasses = nn.Sequential(("flat", nn.Flatten()), ("fc", nn.Linear(784, 3)));
        Assert.Contains("expected (", Assert.Throws<ArgumentException>(() =>
            MembershipScores.Compute(threeClasses, target.Members)).Message);
        Assert.Throws<ArgumentException>(() => LossThresholdAttack.Evaluate([], [1.0]));
    }
}
