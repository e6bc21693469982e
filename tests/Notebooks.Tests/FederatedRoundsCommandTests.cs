using static ModelSecurity.Notebooks.Tests.TestSupport;

namespace ModelSecurity.Notebooks.Tests;

/// <summary><c>course federated-rounds</c> on a tiny split: the table it writes, and the usage errors.</summary>
public class FederatedRoundsCommandTests
{
    [Fact]
    public async Task WritesTheRoundsTableForBothPartitions()
    {
        string path = Path.Combine(NewDirectory(), "rounds.md");
        var (exit, output, error) = await RunCli("federated-rounds", "--train-images", "500", "--clients", "5", "--fraction", "0.4",
                                                 "--max-rounds", "2", "--test-images", "100", "--target", "0.3", "-o", path);
        Assert.True(exit == 0, $"exit {exit}: {error}\n{output}");
        Assert.Contains("Summary: 10 runs", output);
        string table = File.ReadAllText(path);
        Assert.StartsWith("# Rounds to 30 % test accuracy", table);
        Assert.Contains("| IID: rounds to 30 % |", table.Replace("| setting | u (local steps per round) ", ""));
        Assert.Contains("Dirichlet(α = 0.1): rounds to 30 %", table);
        foreach (string setting in new[] { "FedSGD (E = 1, B = ∞)", "FedAvg (E = 1, B = 50)", "FedAvg (E = 5, B = 10)" })
            Assert.Contains($"| {setting} |", table);
    }

    [Theory]
    [InlineData("--alpha takes a positive number", "--alpha", "-1")]
    [InlineData("--target takes an accuracy in (0, 1]", "--target", "2")]
    [InlineData("--fraction takes a number in (0, 1]", "--fraction", "1.5")]
    [InlineData("--clients takes a whole number ≥ 1", "--clients", "0")]
    [InlineData("not both", "--ship", "-o", "x.md")]
    [InlineData("drop --train-images", "--ship", "--train-images", "100")]
    public async Task BadUsageExitsWithTwoAndSaysWhy(string message, params string[] options)
    {
        var (exit, _, error) = await RunCli(["federated-rounds", .. options]);
        Assert.Equal(2, exit);
        Assert.Contains(message, error);
    }
}
