using ModelSecurity.Models;
using static ModelSecurity.Notebooks.Tests.TestSupport;

namespace ModelSecurity.Notebooks.Tests;

/// <summary><c>course train-robust</c> on tiny subsets: the flow, the checkpoint's metadata and the usage errors.</summary>
public class TrainRobustCommandTests
{
    [Fact]
    public async Task TradesTrainsSavesItsSettingsAndPrintsTheProtocolTable()
    {
        string path = Path.Combine(NewDirectory(), "trades.ckpt");
        // The recipe's network is the Kolter–Madry CNN; the smaller SmallCNN keeps the test quick and exercises --architecture.
        var (exit, output, error) = await RunCli("train-robust", "--method", "trades", "--epochs", "1", "--subset", "256", "--beta", "3",
                                                 "--architecture", "small-cnn", "--eval-subset", "20", "--save", path);
        Assert.True(exit == 0, $"exit {exit}: {error}\n{output}");
        Assert.Contains("epoch 1/1:", output);
        Assert.Contains("| clean (no attack) |", output);
        Assert.Contains("| FGSM ε=0.1 |", output);
        Assert.Contains("| PGD-20×5 L∞ ε=0.1 |", output);
        Assert.Contains("| APGD-CE-100 L∞ ε=0.1 |", output);
        Assert.Contains("Summary: trades small-cnn", output);

        var info = Checkpoint.ReadInfo(path);
        Assert.Equal("small-cnn", info.Architecture);
        var extra = info.Extra!;
        Assert.Equal("trades", extra["method"]);
        Assert.Equal("0.1", extra["epsilon"]);
        Assert.Equal("10", extra["attackSteps"]);
        Assert.Equal("0.025", extra["stepSize"]);
        Assert.Equal("3", extra["beta"]);
        Assert.Equal("256", extra["trainSubset"]);
        Assert.Equal("20", extra["protocolImages"]);
        Assert.True(double.TryParse(extra["protocol.apgd"], System.Globalization.CultureInfo.InvariantCulture, out double apgd) && apgd is >= 0 and <= 1);
        Assert.StartsWith("TRADES (β=3", extra["objective"]);
        Assert.True(info.TestAccuracy is >= 0 and <= 1, "the clean test accuracy belongs in the checkpoint");
    }

    [Fact]
    public async Task FastAtRecordsItsEarlyStoppingCheck()
    {
        string path = Path.Combine(NewDirectory(), "fast.ckpt");
        var (exit, output, error) = await RunCli("train-robust", "--method", "fast-at", "--epochs", "2", "--subset", "256",
                                                 "--eval-subset", "10", "--save", path);
        Assert.True(exit == 0, $"exit {exit}: {error}\n{output}");
        Assert.Contains("PGD check after epoch 1", output);
        Assert.Contains("PGD check after epoch 2", output);
        var extra = Checkpoint.ReadInfo(path).Extra!;
        Assert.Equal("fast-at", extra["method"]);
        Assert.Equal("1", extra["attackSteps"]);
        Assert.Equal("0.125", extra["stepSize"]);
        Assert.False(extra.ContainsKey("beta"));
        Assert.Equal(2, extra["earlyStoppingChecks"].Split(',').Length);
        Assert.Contains("on 256 held-out images", extra["earlyStopping"]);
        Assert.Contains(extra["earlyStoppingCollapsed"], new[] { "true", "false" });
    }

    [Theory]
    [InlineData("--method is required")]
    [InlineData("--method must be one of", "--method", "free-at")]
    [InlineData("--beta is TRADES's β", "--method", "pgd-at", "--beta", "6")]
    [InlineData("--beta takes a number", "--method", "trades", "--beta", "-1")]
    [InlineData("drop --subset", "--method", "pgd-at", "--ship", "--subset", "100")]
    [InlineData("not both", "--method", "pgd-at", "--ship", "--save", "x.ckpt")]
    [InlineData("--epochs takes a positive whole number", "--method", "trades", "--epochs", "0")]
    [InlineData("--eval-subset takes a positive whole number", "--method", "trades", "--eval-subset", "-5")]
    [InlineData("unknown option", "--method", "trades", "--eps", "0.3")]
    public async Task BadUsageExitsWithTwoAndSaysWhy(string message, params string[] options)
    {
        var (exit, _, error) = await RunCli(["train-robust", .. options]);
        Assert.Equal(2, exit);
        Assert.Contains(message, error);
    }
}
