using System.Text.Json.Nodes;
using ModelSecurity.Cli;
using ModelSecurity.Cli.Commands;
using ModelSecurity.Cli.Doctor;
using ModelSecurity.Kernel.Install;
using ModelSecurity.Models;
using ModelSecurity.Runtime;
using static ModelSecurity.Notebooks.Tests.TestSupport;
using static TorchSharp.torch;

namespace ModelSecurity.Notebooks.Tests;

/// <summary>
/// <c>course doctor</c>: each check on injected settings. Jupyter folders, data folders and cpuinfo are temporary copies
/// or fakes; the user's Jupyter folders and the clone's data/ are never written.
/// </summary>
public class DoctorCommandTests
{
    private static string ThisBuild => typeof(DoctorCommand).Assembly.Location;

    private static DoctorSettings Settings(string? data = null, string? jupyter = null) => new()
    {
        DataDirectory = data ?? Path.Combine(RepositoryRoot(), "data"),
        JupyterSearchPath = [jupyter ?? NewDirectory()],
        CourseAssembly = ThisBuild,
        SdkVersion = () => "10.0.100",
        FreeBytes = () => 50L << 30,
        CheckpointSlice = 100,
    };

    /// <summary>A temporary data folder with the test set and the given shipped checkpoints (copies).</summary>
    private static string DataCopy(params string[] checkpoints)
    {
        string source = Path.Combine(RepositoryRoot(), "data"), data = Path.Combine(NewDirectory(), "data");
        Directory.CreateDirectory(Path.Combine(data, "fashion-mnist"));
        Directory.CreateDirectory(Path.Combine(data, "checkpoints"));
        foreach (string file in new[] { "SHA256SUMS", "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz" })
            File.Copy(Path.Combine(source, "fashion-mnist", file), Path.Combine(data, "fashion-mnist", file));
        foreach (string file in checkpoints)
            File.Copy(Path.Combine(source, "checkpoints", file), Path.Combine(data, "checkpoints", file));
        return data;
    }

    private static void InstallKernel(string jupyter, params string[] argv) =>
        KernelSpecStore.Install(new KernelSpec([.. argv, "kernel", "run", "--connection-file", "{connection_file}"], ".NET (C#)", "C#", "message",
            argv.Contains("dotnet-interactive") ? new JsonObject() : new JsonObject { [KernelSpec.MarkerKey] = new JsonObject() }),
            KernelSpec.DefaultName, jupyter);

    [Fact]
    public void TheKernelspecCheckTellsMissingStaleOtherBuildNetInteractiveAndThisBuildApart()
    {
        string jupyter = NewDirectory();
        var settings = Settings(jupyter: jupyter);
        Assert.Equal(DoctorStatus.Warning, KernelSpecCheck.Run(settings).Status);

        string moved = Path.Combine(NewDirectory(), "old-clone", "course.dll"); // a clone that was moved away: the file is gone
        InstallKernel(jupyter, "dotnet", "exec", moved);
        var stale = KernelSpecCheck.Run(settings);
        Assert.Equal(DoctorStatus.Failed, stale.Status);
        Assert.Contains("stale", stale.Summary);
        Assert.Contains("kernel install --user", stale.Fix);

        string other = Path.Combine(NewDirectory(), "course.dll");
        File.WriteAllText(other, "");
        InstallKernel(jupyter, "dotnet", "exec", other);
        Assert.Equal(DoctorStatus.Warning, KernelSpecCheck.Run(settings).Status);

        InstallKernel(jupyter, "dotnet", "exec", ThisBuild);
        var ok = KernelSpecCheck.Run(settings);
        Assert.True(ok.Status == DoctorStatus.Ok, ok.Summary);

        // .NET Interactive's kernelspec of the same name, earlier on the search path, wins over the course's
        string earlier = NewDirectory();
        InstallKernel(earlier, "dotnet", "interactive", "jupyter", "dotnet-interactive");
        var collision = KernelSpecCheck.Run(settings with { JupyterSearchPath = [earlier, jupyter] });
        Assert.Equal(DoctorStatus.Failed, collision.Status);
        Assert.Contains(".NET Interactive", collision.Summary);
        Assert.Contains(earlier, collision.Fix);
    }

    [Fact]
    public void TheShippedDataMatchTheShippedManifest()
    {
        var result = DataChecks.Checksums(Settings());
        Assert.True(result.Status == DoctorStatus.Ok, $"{result.Summary}: {string.Join("; ", result.Details ?? [])}. {result.Fix}");
        Assert.Contains(DataManifest.ShippedFiles(Path.Combine(RepositoryRoot(), "data")), f => f.StartsWith("checkpoints/", StringComparison.Ordinal));
    }

    [Fact]
    public void ACorruptedMissingOrUnlistedDataFileIsReported()
    {
        string data = DataCopy(ShippedModels.BaselineFile);
        var settings = Settings(data);
        Assert.Equal(DoctorStatus.Failed, DataChecks.Checksums(settings).Status); // no manifest yet
        Assert.Equal(3, DataManifest.Write(data)); // two test-set archives and the checkpoint (SHA256SUMS lists are not listed)
        Assert.Equal(DoctorStatus.Ok, DataChecks.Checksums(settings).Status);

        string checkpoint = Path.Combine(data, "checkpoints", ShippedModels.BaselineFile);
        byte[] bytes = File.ReadAllBytes(checkpoint);
        bytes[^100] ^= 0x40; // one flipped bit in the weights
        File.WriteAllBytes(checkpoint, bytes);
        var corrupt = DataChecks.Checksums(settings);
        Assert.Equal(DoctorStatus.Failed, corrupt.Status);
        Assert.Contains(corrupt.Details!, d => d.Contains(ShippedModels.BaselineFile) && d.Contains("differs"));
        Assert.Contains("git checkout -- data/", corrupt.Fix);

        File.Delete(Path.Combine(data, "fashion-mnist", "t10k-labels-idx1-ubyte.gz"));
        Assert.Contains(DataChecks.Checksums(settings).Details!, d => d.Contains("t10k-labels-idx1-ubyte.gz: missing"));

        DataManifest.Write(data);
        File.WriteAllText(Path.Combine(data, "checkpoints", "extra.ckpt"), "new");
        var unlisted = DataChecks.Checksums(settings);
        Assert.Equal(DoctorStatus.Warning, unlisted.Status);
        Assert.Contains("--update-manifest", unlisted.Fix);
    }

    [Fact]
    public void CheckpointsAreLoadedAndComparedWithTheirRecordedAccuracy()
    {
        string data = DataCopy(ShippedModels.BaselineFile, ShippedModels.PrivateFile(8));
        var good = DataChecks.Checkpoints(Settings(data));
        Assert.True(good.Status == DoctorStatus.Ok, string.Join("\n", good.Details ?? []));
        Assert.Equal(2, good.Details!.Count(d => d.StartsWith("✔", StringComparison.Ordinal) && d.Contains("on 100 images")));
        Assert.Contains("small", good.Summary);

        // A checkpoint whose recorded accuracy is not what it reaches, and one that is not a checkpoint at all
        var (model, info) = Checkpoint.LoadWithInfo(Path.Combine(data, "checkpoints", ShippedModels.BaselineFile));
        Checkpoint.Save(model, Path.Combine(data, "checkpoints", "claims-too-much.ckpt"), info with { TestAccuracy = 0.40 });
        File.WriteAllText(Path.Combine(data, "checkpoints", "broken.ckpt"), "not a checkpoint");
        var bad = DataChecks.Checkpoints(Settings(data));
        Assert.Equal(DoctorStatus.Failed, bad.Status);
        Assert.Contains(bad.Details!, d => d.StartsWith("✘ claims-too-much.ckpt", StringComparison.Ordinal) && d.Contains("recorded 40.00 %"));
        Assert.Contains(bad.Details!, d => d.StartsWith("✘ broken.ckpt: does not load", StringComparison.Ordinal));
        Assert.StartsWith("2 of 4", bad.Summary);
    }

    [Fact]
    public void TheCpuCheckReadsModelAndVectorExtensionsAndSaysUnknownWithoutCpuinfo()
    {
        string dir = NewDirectory();
        string avx512 = Path.Combine(dir, "cpuinfo-a"), avx2 = Path.Combine(dir, "cpuinfo-b");
        File.WriteAllText(avx512, "processor\t: 0\nmodel name\t: AMD EPYC 9654\nflags\t\t: fpu sse2 avx avx2 avx512f avx512bw avx512vl\n");
        File.WriteAllText(avx2, "processor\t: 0\nmodel name\t: Intel(R) Core(TM) i5-8250U\nflags\t\t: fpu sse2 avx avx2 fma\n");
        var a = RuntimeChecks.Cpu(Settings() with { CpuInfoPath = avx512 });
        Assert.Contains("AMD EPYC 9654; AVX-512 (avx512bw avx512f avx512vl)", a.Summary);
        Assert.Contains(a.Details!, d => d.Contains("numerics self-test"));
        Assert.Contains("i5-8250U; AVX2, no AVX-512", RuntimeChecks.Cpu(Settings() with { CpuInfoPath = avx2 }).Summary);
        Assert.Contains("unknown", RuntimeChecks.Cpu(Settings() with { CpuInfoPath = Path.Combine(dir, "none") }).Summary);
        var withIsa = RuntimeChecks.Cpu(Settings() with { CpuInfoPath = avx2, Environment = v => v == "ONEDNN_MAX_CPU_ISA" ? "AVX2" : null });
        Assert.Contains("ONEDNN_MAX_CPU_ISA=AVX2", withIsa.Details!);
    }

    [Theory]
    [InlineData(null, DoctorStatus.Failed)]
    [InlineData("9.0.305", DoctorStatus.Failed)]
    [InlineData("10.0.100", DoctorStatus.Ok)]
    public void TheDotNetCheckWantsTheNet10Sdk(string? sdk, DoctorStatus expected)
    {
        var result = RuntimeChecks.DotNet(Settings() with { SdkVersion = () => sdk });
        Assert.Equal(expected, result.Status);
        if (expected == DoctorStatus.Failed) Assert.Contains(".NET 10 SDK", result.Fix);
    }

    [Theory]
    [InlineData(200L << 20, DoctorStatus.Failed)]
    [InlineData(3L << 30, DoctorStatus.Warning)]
    [InlineData(40L << 30, DoctorStatus.Ok)]
    public void TheDiskCheckWarnsWhenSpaceRunsLow(long free, DoctorStatus expected) =>
        Assert.Equal(expected, MachineChecks.Disk(Settings() with { FreeBytes = () => free }).Status);

    [Fact]
    public void TorchSharpLoadsAndTheGlibcxxFixIsReportedOnLinux()
    {
        var result = RuntimeChecks.TorchSharpNative(Settings());
        Assert.Equal(DoctorStatus.Ok, result.Status);
        Assert.StartsWith("TorchSharp 0.107", result.Summary);
        if (OperatingSystem.IsLinux()) Assert.Contains("GLIBCXX", result.Summary);
    }

    [Fact]
    public void TheNumericsCheckReportsEachProbeAndFailsWhenTheGuardRefuses()
    {
        var ok = NumericsCheck.Run(Settings());
        Assert.NotEqual(DoctorStatus.Failed, ok.Status);
        Assert.Contains(ok.Details!, d => d.StartsWith("convolution path in use:", StringComparison.Ordinal));
        Assert.Contains(ok.Details!, d => d.Contains("dilated, issue 18") && d.Contains("per-example"));
        foreach (string architecture in ModelZoo.Architectures)
            Assert.Contains(ok.Details!, d => d.StartsWith($"✔ {architecture}:", StringComparison.Ordinal));

        ConvolutionGradient Wrong(ConvolutionProbe p, Tensor x, Tensor w, Tensor b, Tensor r)
        {
            var right = ConvolutionGradients.LibTorch(p, x, w, b, r);
            return x.shape[0] == 1 ? right : right with { Input = right.Input * 2 };
        }
        var refusing = new NumericsGuard(new ConvolutionSelfTest(Wrong, ConvolutionProbes.Dilated), [], _ => { });
        var failed = NumericsCheck.Run(Settings() with { Guard = refusing });
        Assert.Equal(DoctorStatus.Failed, failed.Status);
        Assert.Contains(failed.Details!, d => d.StartsWith("  ✘ dilated, issue 18", StringComparison.Ordinal));
        Assert.Contains("ONEDNN_MAX_CPU_ISA=AVX2", failed.Fix);
    }

    [Fact]
    public async Task TheWholeRunExitsNonZeroOnAnyFailureAndWritesJson()
    {
        string data = DataCopy(ShippedModels.PrivateFile(8));
        DataManifest.Write(data);
        File.AppendAllText(Path.Combine(data, "checkpoints", ShippedModels.PrivateFile(8)), "x"); // corrupted after the manifest
        string jupyter = NewDirectory();
        InstallKernel(jupyter, "dotnet", "exec", Path.Combine(NewDirectory(), "gone", "course.dll")); // stale kernelspec
        var command = new DoctorCommand(() => Settings(data, jupyter));
        var output = new StringWriter();
        int exit = await command.RunAsync(ParsedArgs.Parse(["--json", "--slice", "50"], command.Options), new CliContext(output, new StringWriter(), default));

        Assert.Equal(ExitCodes.Failed, exit);
        var json = JsonNode.Parse(output.ToString())!.AsObject();
        Assert.False((bool)json["ok"]!);
        var checks = json["checks"]!.AsArray().Select(c => c!.AsObject()).ToDictionary(c => (string)c["name"]!, c => (string)c["status"]!);
        Assert.Equal(DoctorChecks.Checks.Select(c => c.Name), checks.Keys);
        Assert.Equal("failed", checks["Data checksums"]);
        Assert.Equal("failed", checks["Shipped checkpoints"]); // appended bytes: the file no longer reads as a checkpoint
        Assert.Equal("failed", checks["Jupyter kernelspec"]);
        Assert.Equal("ok", checks[".NET"]);
        Assert.NotEqual("failed", checks["Numerics self-test"]);
    }

    [Fact]
    public async Task TextOutputMarksEachCheckAndUsageErrorsExitWithTwo()
    {
        var (exit, _, error) = await RunCli("doctor", "--slice", "0");
        Assert.Equal(ExitCodes.Usage, exit);
        Assert.Contains("--slice takes a positive whole number", error);

        var command = new DoctorCommand(() => Settings(DataCopy(), NewDirectory()) with { SdkVersion = () => null });
        var output = new StringWriter();
        // Data and checkpoint checks fail (empty checkpoints folder, no manifest); the text says so and how to fix it.
        int code = await command.RunAsync(ParsedArgs.Parse([], command.Options), new CliContext(output, new StringWriter(), default));
        Assert.Equal(ExitCodes.Failed, code);
        string text = output.ToString();
        Assert.Contains("✘ .NET: runtime", text);
        Assert.Contains("    fix: install the .NET 10 SDK", text);
        Assert.Contains("! Jupyter kernelspec:", text);
        Assert.Contains("✔ Free disk:", text);
        Assert.Matches(@"\d+ ✔, \d+ !, \d+ ✘ in \d+ s: fix the ✘ lines above", text);
    }
}
