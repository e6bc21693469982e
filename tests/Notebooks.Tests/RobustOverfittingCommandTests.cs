using ModelSecurity.Defenses;
using ModelSecurity.Models;
using static ModelSecurity.Notebooks.Tests.TestSupport;

namespace ModelSecurity.Notebooks.Tests;

/// <summary><c>course robust-overfitting</c> at a tiny scale: the files it writes, and the usage errors.</summary>
public class RobustOverfittingCommandTests
{
    [Fact]
    public async Task SeedsRunApartEndUpInOneTableAndAnotherRecipeIsNotMixedIn()
    {
        string folder = NewDirectory();
        string[] tiny = ["--epochs", "2", "--train-images", "32", "--curve-images", "10", "--hold-out", "12", "-o", folder];
        var (exit, output, error) = await RunCli(["robust-overfitting", "--seeds", "1", .. tiny]);
        Assert.True(exit == 0, $"exit {exit}: {error}\n{output}");
        (exit, output, error) = await RunCli(["robust-overfitting", "--seed", "1", .. tiny]);
        Assert.True(exit == 0, $"exit {exit}: {error}\n{output}");

        string table = File.ReadAllText(Path.Combine(folder, "robust-overfitting.md"));
        Assert.StartsWith("# Robust overfitting: best epoch vs last", table);
        Assert.Contains("the next 12 validation images", table);
        Assert.Contains("seeds 0, 1.", table);
        Assert.Matches(@"\| 0 \| [12] of 2 \|", table);
        Assert.Matches(@"\| 1 \| [12] of 2 \|", table);
        foreach (int seed in new[] { 0, 1 })
            Assert.Equal(2, RobustnessCurve.LoadCsv(Path.Combine(folder, $"robust-overfitting-seed{seed}.curve.csv")).Count);
        var (best, bestInfo) = Checkpoint.LoadWithInfo(Path.Combine(folder, ShippedModels.RobustOverfittingBestFile));
        var (last, lastInfo) = Checkpoint.LoadWithInfo(Path.Combine(folder, ShippedModels.RobustOverfittingLastFile));
        best.Dispose();
        last.Dispose();
        Assert.Equal("2", lastInfo.Extra!["weightsOfEpoch"]);
        Assert.Equal(bestInfo.Extra!["robustOverfittingBestEpoch"], bestInfo.Extra["weightsOfEpoch"]);
        Assert.Equal("32", lastInfo.Extra["trainSubset"]);

        // One epoch is another recipe: its table holds only its own seed and names the others.
        (exit, output, error) = await RunCli(["robust-overfitting", "--seed", "2", .. tiny.Select(a => a == "2" ? "1" : a)]);
        Assert.True(exit == 0, $"exit {exit}: {error}\n{output}");
        table = File.ReadAllText(Path.Combine(folder, "robust-overfitting.md"));
        Assert.Contains("seeds 2.", table);
        Assert.Matches(@"\| 2 \| 1 of 1 \|", table);
        Assert.DoesNotMatch(@"\| [01] \| ", table);
        Assert.Contains("Left out (another recipe, or no curve file): robust-overfitting-seed0.json, robust-overfitting-seed1.json.", table);
    }

    [Fact]
    public async Task ACorruptSeedFileIsNamedAndTheNewSeedsFilesAreKept()
    {
        string folder = NewDirectory();
        File.WriteAllText(Path.Combine(folder, "robust-overfitting-seed5.json"), "{ not json");
        var (exit, output, error) = await RunCli("robust-overfitting", "--seed", "0", "--epochs", "1", "--train-images", "32",
                                                 "--curve-images", "10", "--hold-out", "12", "-o", folder);
        Assert.True(exit == 2, $"exit {exit}: {error}\n{output}");
        Assert.Contains("robust-overfitting-seed5.json is not a seed result", error);
        Assert.Contains("delete it", error);
        Assert.True(File.Exists(Path.Combine(folder, "robust-overfitting-seed0.json")), "the seed that finished must be kept");
    }

    [Theory]
    [InlineData("--seeds takes a positive whole number", "--seeds", "0")]
    [InlineData("--seed takes a whole number ≥ 0, not '-1'", "--seed", "-1")]
    [InlineData("give either --seeds N or --seed S", "--seeds", "2", "--seed", "1")]
    [InlineData("at most 5000 validation images together", "--curve-images", "4500", "--hold-out", "1000")]
    [InlineData("not both", "--ship", "-o", "x")]
    [InlineData("drop --epochs and --train-images", "--ship", "--epochs", "3")]
    [InlineData("--train-images must be at most 55000", "--train-images", "56000")]
    public async Task BadUsageExitsWithTwoAndSaysWhy(string message, params string[] options)
    {
        var (exit, _, error) = await RunCli(["robust-overfitting", .. options]);
        Assert.Equal(2, exit);
        Assert.Contains(message, error);
    }
}
