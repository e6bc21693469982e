using System.Globalization;
using ModelSecurity.Models;
using static ModelSecurity.Notebooks.Tests.TestSupport;

namespace ModelSecurity.Notebooks.Tests;

/// <summary><c>course train-private</c> on tiny subsets: calibration, the spent ε in the checkpoint, and the usage errors.</summary>
public class TrainPrivateCommandTests
{
    [Fact]
    public async Task TrainsAtTheTargetEpsilonAndRecordsItInTheCheckpoint()
    {
        string path = Path.Combine(NewDirectory(), "dp.ckpt");
        var (exit, output, error) = await RunCli("train-private", "--epsilon", "2", "--epochs", "1", "--subset", "512", "--batch-size", "64",
                                                 "--clip", "0.5", "--save", path);
        Assert.True(exit == 0, $"exit {exit}: {error}\n{output}");
        Assert.Contains("Calibrated noise multiplier", output);
        Assert.Contains("epoch 1/1:", output);
        Assert.Contains("Privacy spent after 8 steps", output); // round(512 / 64) Poisson batches
        Assert.Contains("Summary: tanh-cnn with DP-SGD", output);

        var info = Checkpoint.ReadInfo(path);
        Assert.Equal("tanh-cnn", info.Architecture);
        var extra = info.Extra!;
        double epsilon = double.Parse(extra["epsilon"], CultureInfo.InvariantCulture);
        Assert.InRange(epsilon, 1.9, 2.0);
        Assert.Equal("2", extra["targetEpsilon"]);
        Assert.Equal("0.5", extra["maxGradNorm"]);
        Assert.Equal("0.125", extra["sampleRate"]);
        Assert.Equal("512", extra["privateExamples"]);
        Assert.True(info.TestAccuracy is >= 0 and <= 1);
    }

    [Theory]
    [InlineData("--epsilon is required")]
    [InlineData("--epsilon takes a positive number", "--epsilon", "-1")]
    [InlineData("--epsilon takes a positive number", "--epsilon", "zero")]
    [InlineData("--delta must be below 1", "--epsilon", "3", "--delta", "1.5")]
    [InlineData("--clip takes a positive number", "--epsilon", "3", "--clip", "0")]
    [InlineData("--accountant must be one of", "--epsilon", "3", "--accountant", "moments")]
    [InlineData("drop --subset", "--epsilon", "3", "--ship", "--subset", "100")]
    [InlineData("not both", "--epsilon", "3", "--ship", "--save", "x.ckpt")]
    public async Task BadUsageExitsWithTwoAndSaysWhy(string message, params string[] options)
    {
        var (exit, _, error) = await RunCli(["train-private", .. options]);
        Assert.Equal(2, exit);
        Assert.Contains(message, error);
    }

    [Fact]
    public async Task ABatchLargerThanTheSubsetIsABadUsageNotACrash()
    {
        var (exit, _, error) = await RunCli("train-private", "--epsilon", "3", "--subset", "100", "--epochs", "1",
                                            "--save", Path.Combine(NewDirectory(), "dp.ckpt"));
        Assert.Equal(2, exit);
        Assert.Contains("--subset 100 is smaller than the expected batch size 512", error);
    }
}
