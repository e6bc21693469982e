using System.Text.Json.Nodes;
using ModelSecurity.Cli;
using ModelSecurity.Kernel.Install;

namespace ModelSecurity.Kernel.Tests;

/// <summary><c>course kernel install/list/uninstall</c> in temporary folders.</summary>
public class KernelSpecTests
{
    private static async Task<(int Exit, string Out, string Error)> Cli(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int exit = await CourseCli.RunAsync(args, new CliContext(output, error, CancellationToken.None));
        return (exit, output.ToString(), error.ToString());
    }

    [Fact]
    public async Task InstallWritesAKernelspecThatStartsTheCourse()
    {
        string prefix = Directory.CreateTempSubdirectory("course-kernelspec-").FullName;
        var (exit, output, _) = await Cli("kernel", "install", "--prefix", prefix);
        Assert.Equal(0, exit);
        string file = Path.Combine(prefix, "share", "jupyter", "kernels", ".net-csharp", "kernel.json");
        Assert.Contains(Path.GetDirectoryName(file)!, output);
        var json = JsonNode.Parse(File.ReadAllText(file))!;
        var argv = ((JsonArray)json["argv"]!).Select(a => (string)a!).ToList();
        Assert.True(Path.IsPathRooted(argv[0]), argv[0]);
        Assert.Contains(argv, a => a.EndsWith("course.dll", StringComparison.Ordinal));
        Assert.Equal(["kernel", "run", "--connection-file", "{connection_file}"], argv[^4..]);
        Assert.Equal(".NET (C#)", (string?)json["display_name"]);
        Assert.Equal("C#", (string?)json["language"]);
        Assert.Equal("message", (string?)json["interrupt_mode"]);
        Assert.NotNull(json["metadata"]!["modelsecurity_course"]);
        Assert.True(File.Exists(Path.Combine(Path.GetDirectoryName(file)!, "logo-svg.svg")));
    }

    [Fact]
    public async Task InstallReplacesADotNetInteractiveSpecWithAWarningAndUninstallLeavesForeignSpecsAlone()
    {
        string prefix = Directory.CreateTempSubdirectory("course-kernelspec-").FullName;
        string dataDir = JupyterPaths.PrefixDataDir(prefix);
        string dir = JupyterPaths.KernelDir(dataDir, ".net-csharp");
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "kernel.json"), """
            {"argv": ["dotnet", "interactive", "jupyter", "--default-kernel", "csharp", "{connection_file}", "--http-port-range", "2048-3000"],
             "display_name": ".NET (C#)", "language": "C#"}
            """);
        Assert.True(KernelSpec.TryLoad(Path.Combine(dir, "kernel.json"))!.IsDotNetInteractive);

        var (exit, _, error) = await Cli("kernel", "install", "--prefix", prefix, "--display-name", "C# (course)");
        Assert.Equal(0, exit);
        Assert.Contains(".NET Interactive", error);
        Assert.Equal("C# (course)", KernelSpec.TryLoad(Path.Combine(dir, "kernel.json"))!.DisplayName);

        var listed = KernelSpecStore.List([dataDir]);
        Assert.True(Assert.Single(listed).Spec.IsCourseKernel);

        (exit, var output, _) = await Cli("kernel", "uninstall", "--prefix", prefix);
        Assert.Equal(0, exit);
        Assert.Contains("Removed", output);
        Assert.False(Directory.Exists(dir));

        // A foreign spec is not removed without --force.
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "kernel.json"), """{"argv": ["other"], "display_name": "x", "language": "C#"}""");
        (exit, _, error) = await Cli("kernel", "uninstall", "--prefix", prefix);
        Assert.Equal(2, exit);
        Assert.True(Directory.Exists(dir));
        (exit, _, _) = await Cli("kernel", "uninstall", "--prefix", prefix, "--force");
        Assert.Equal(0, exit);
        Assert.False(Directory.Exists(dir));
    }

    [Fact]
    public void ListMarksShadowedSpecs()
    {
        string first = Directory.CreateTempSubdirectory("course-kernelspec-").FullName;
        string second = Directory.CreateTempSubdirectory("course-kernelspec-").FullName;
        var spec = KernelSpec.ForCourse(["course"], "C#", "1");
        KernelSpecStore.Install(spec, ".net-csharp", first);
        KernelSpecStore.Install(spec, ".net-csharp", second);
        var listed = KernelSpecStore.List([first, second]);
        Assert.Equal([false, true], listed.Select(k => k.Shadowed));
        Assert.Throws<ArgumentException>(() => KernelSpecStore.Install(spec, "../evil", first));
    }

    [Fact]
    public async Task BadUsageExitsWithTwo()
    {
        Assert.Equal(2, (await Cli("kernel")).Exit);
        Assert.Equal(2, (await Cli("kernel", "frobnicate")).Exit);
        Assert.Equal(2, (await Cli("kernel", "run")).Exit);
        Assert.Equal(2, (await Cli("kernel", "install", "--user", "--prefix", "/tmp")).Exit);
    }
}
