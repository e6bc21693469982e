using ModelSecurity.Attacks;
using static ModelSecurity.Notebooks.Tests.TestSupport;

namespace ModelSecurity.Notebooks.Tests;

/// <summary><c>course robustness --autoattack -o</c> in parts: resuming gives the per-point results of one run, and refuses another evaluation.</summary>
public class RobustnessCommandTests
{
    [Fact]
    public async Task AResumedAutoAttackRunEqualsOneUninterruptedRun()
    {
        string directory = NewDirectory();
        string whole = Path.Combine(directory, "whole.json"), resumed = Path.Combine(directory, "resumed.json");
        var (exit, output, error) = await RunCli("robustness", "--autoattack", "--images", "6", "-o", whole);
        Assert.True(exit == 0, $"exit {exit}: {error}\n{output}");

        // A run stopped after 4 images (in parts of 2), then extended to 6.
        (exit, output, error) = await RunCli("robustness", "--autoattack", "--images", "4", "--chunk", "2", "-o", resumed);
        Assert.True(exit == 0, $"exit {exit}: {error}\n{output}");
        Assert.Contains("Images 2–3 of 4", output);
        (exit, output, error) = await RunCli("robustness", "--autoattack", "--images", "6", "--chunk", "2", "--resume", "-o", resumed);
        Assert.True(exit == 0, $"exit {exit}: {error}\n{output}");
        Assert.Contains("Resuming", output);
        Assert.Contains("4 of 6 images already evaluated", output);
        Assert.DoesNotContain("Images 0–1", output);

        var one = StoredEvaluation.Load(whole);
        var parts = StoredEvaluation.Load(resumed);
        Assert.Equal(6, parts.Report.Count);
        Assert.Equal(one.Report.BrokenBy, parts.Report.BrokenBy);
        Assert.Equal(one.Report.CleanCorrect, parts.Report.CleanCorrect);
        Assert.Equal(one.Selection, parts.Selection);
    }

    [Fact]
    public async Task ResumeRefusesAnotherEvaluationAndLeavesTheFileAlone()
    {
        string json = Path.Combine(NewDirectory(), "aa.json");
        var (exit, output, error) = await RunCli("robustness", "--autoattack", "--images", "2", "-o", json);
        Assert.True(exit == 0, $"exit {exit}: {error}\n{output}");
        string before = File.ReadAllText(json);

        (exit, _, error) = await RunCli("robustness", "--autoattack", "--images", "4", "--eps", "0.2", "--resume", "-o", json);
        Assert.Equal(2, exit);
        Assert.Contains("holds another evaluation", error);
        Assert.Contains("ε = 0.1", error);
        Assert.Equal(before, File.ReadAllText(json));

        (exit, _, error) = await RunCli("robustness", "--autoattack", "--images", "4", "--resume");
        Assert.Equal(2, exit);
        Assert.Contains("need -o FILE", error);
    }

    [Fact]
    public async Task RecordWritesTheResultIntoTheCheckpointAndKeepsTheWeights()
    {
        string directory = NewDirectory();
        string checkpoint = Path.Combine(directory, "model.ckpt"), json = Path.Combine(directory, "aa.json");
        File.Copy(ModelSecurity.Models.ShippedModels.PathOf(ModelSecurity.Models.ShippedModels.BaselineFile), checkpoint);
        var before = ModelSecurity.Models.Checkpoint.ReadInfo(checkpoint);
        var (exit, output, error) = await RunCli("robustness", "--autoattack", "--images", "5", "--checkpoint", checkpoint, "-o", json, "--record");
        Assert.True(exit == 0, $"exit {exit}: {error}\n{output}");

        var info = ModelSecurity.Models.Checkpoint.ReadInfo(checkpoint);
        var stored = StoredEvaluation.Load(json);
        Assert.Equal(stored.Report.RobustAccuracy.ToString("0.####", System.Globalization.CultureInfo.InvariantCulture), info.Extra!["autoattack.robust"]);
        Assert.Equal("0.1", info.Extra["autoattack.epsilon"]);
        Assert.Equal("aa.json", info.Extra["autoattack.file"]);
        Assert.Equal(before.TestAccuracy, info.TestAccuracy);
        foreach (var (key, value) in before.Extra ?? new Dictionary<string, string>()) Assert.Equal(value, info.Extra[key]);   // nothing lost

        // Same weights: the same predictions on a batch.
        using var original = ModelSecurity.Models.ShippedModels.LoadBaseline(TorchSharp.torch.CPU);
        using var recorded = ModelSecurity.Models.Checkpoint.Load(checkpoint);
        using var test = ModelSecurity.Data.FashionMnist.Load(ModelSecurity.Data.DataSplit.Test);
        using var batch = test.Take(32);
        Assert.True(original.forward(batch.Images).allclose(recorded.forward(batch.Images)));
    }

    [Fact]
    public async Task ACustomSubsetRunsOnlyThoseAttacksAndIsRecordedApartFromTheStandardResult()
    {
        string directory = NewDirectory();
        string checkpoint = Path.Combine(directory, "model.ckpt"), json = Path.Combine(directory, "ce.json");
        string standardJson = Path.Combine(directory, "aa.json");
        File.Copy(ModelSecurity.Models.ShippedModels.PathOf(ModelSecurity.Models.ShippedModels.BaselineFile), checkpoint);
        var (exit, output, error) = await RunCli("robustness", "--autoattack", "--images", "4", "--checkpoint", checkpoint, "-o", standardJson, "--record");
        Assert.True(exit == 0, $"exit {exit}: {error}\n{output}");
        string standardRobust = ModelSecurity.Models.Checkpoint.ReadInfo(checkpoint).Extra!["autoattack.robust"];

        (exit, output, error) = await RunCli("robustness", "--autoattack", "--attacks", "APGD-CE", "--images", "4", "--eps", "0.02",
                                             "--checkpoint", checkpoint, "-o", json, "--record");
        Assert.True(exit == 0, $"exit {exit}: {error}\n{output}");
        Assert.Contains("AutoAttack (custom: apgd-ce)", output);
        var stored = StoredEvaluation.Load(json);
        Assert.Equal("custom: apgd-ce", stored.Version);
        Assert.Equal(["APGD-CE-100 L∞ ε=0.02"], stored.Report.Stages.Select(s => s.Attack));
        var info = ModelSecurity.Models.Checkpoint.ReadInfo(checkpoint);
        Assert.Equal("0.02", info.Extra!["autoattack-apgd-ce.epsilon"]);
        Assert.Equal("ce.json", info.Extra["autoattack-apgd-ce.file"]);
        Assert.Equal(standardRobust, info.Extra["autoattack.robust"]);    // the standard result is kept
        Assert.Equal("0.1", info.Extra["autoattack.epsilon"]);

        // A standard run cannot resume a custom one, and unknown or L2-less names are refused before any work.
        (exit, _, error) = await RunCli("robustness", "--autoattack", "--images", "6", "--eps", "0.02", "--checkpoint", checkpoint, "--resume", "-o", json);
        Assert.Equal(2, exit);
        Assert.Contains("version custom: apgd-ce, not standard", error);
        (exit, _, error) = await RunCli("robustness", "--autoattack", "--attacks", "pgd20", "--images", "2");
        Assert.Equal(2, exit);
        Assert.Contains("'pgd20' is not valid", error);
        Assert.Contains("apgd-ce, apgd-t, fab-t, square", error);
        (exit, _, error) = await RunCli("robustness", "--autoattack", "--attacks", "square", "--norm", "l2", "--images", "2");
        Assert.Equal(2, exit);
        Assert.Contains("Square runs only under L∞", error);
    }
}
