using ModelSecurity.Notebooks.Execution;
using static ModelSecurity.Notebooks.Tests.TestSupport;

namespace ModelSecurity.Notebooks.Tests;

/// <summary>Slower (a real `dotnet build` of a generated project, about 10–20 s), but part of the suite.</summary>
[Trait("Speed", "Slow")]
public class NuGetTests
{
    [Fact]
    public async Task NuGetReferenceIsRestoredOnceAndThenServedFromTheCache()
    {
        string cache = NewDirectory();
        var firstLog = new List<string>();
        var first = new NotebookEngine(new EngineOptions { BaseDirectory = NewDirectory(), CacheRoot = cache, Log = firstLog.Add });
        var cells = await RunCells(first,
            "#r \"nuget: Newtonsoft.Json, 13.0.3\"\nusing Newtonsoft.Json;",
            "JsonConvert.SerializeObject(new { a = 1, b = new[] { 2, 3 } })");
        Assert.True(cells[0].Result.Status == CellStatus.Succeeded, string.Join("\n", cells[0].Outputs));
        Assert.Equal("{\"a\":1,\"b\":[2,3]}", Plain(cells[1].Outputs[0]));
        Assert.Contains(firstLog, l => l.StartsWith("Restoring NuGet packages: Newtonsoft.Json 13.0.3", StringComparison.Ordinal));

        string project = Directory.GetFiles(Path.Combine(cache, "nuget"), "CourseNuGetPackages.csproj", SearchOption.AllDirectories).Single();
        string text = File.ReadAllText(project);
        Assert.Contains("TorchSharpNative.targets", text);
        Assert.Contains("<PackageReference Include=\"Newtonsoft.Json\" Version=\"13.0.3\" />", text);

        var secondLog = new List<string>();
        var second = new NotebookEngine(new EngineOptions { BaseDirectory = NewDirectory(), CacheRoot = cache, Log = secondLog.Add });
        var again = await RunCells(second, "#r \"nuget: Newtonsoft.Json, 13.0.3\"\nNewtonsoft.Json.JsonConvert.SerializeObject(7)");
        Assert.Equal("7", Plain(again[0].Outputs[0]));
        Assert.Empty(secondLog);
    }

    [Fact]
    public async Task PackagesWithSeveralAssembliesCanBeReferenced()
    {
        // Plotly.NET brings FSharp.Core, DynamicObj, Giraffe.ViewEngine, …: Roslyn takes one assembly per #r directive,
        // so the others must reach the compilation another way (this threw NotSupportedException before).
        var engine = new NotebookEngine(new EngineOptions { BaseDirectory = NewDirectory(), CacheRoot = NewDirectory() });
        var cells = await RunCells(engine,
            "#r \"nuget: Plotly.NET, 6.0.0\"\n#r \"nuget: Plotly.NET.CSharp, 0.14.0\"\nusing Plotly.NET.CSharp;",
            "Chart.Line<double, double, string>(x: new[] { 1.0, 2.0 }, y: new[] { 3.0, 4.0 }) is Plotly.NET.GenericChart");
        Assert.True(cells[0].Result.Status == CellStatus.Succeeded, string.Join("\n", cells[0].Outputs));
        Assert.True(cells[1].Result.Status == CellStatus.Succeeded, string.Join("\n", cells[1].Outputs));
        Assert.Equal("true", Plain(cells[1].Outputs[0]));
    }

    [Fact]
    public async Task UnknownPackageGivesAClearError()
    {
        var engine = new NotebookEngine(new EngineOptions { BaseDirectory = NewDirectory(), CacheRoot = NewDirectory() });
        var cells = await RunCells(engine, "#r \"nuget: No.Such.Package.For.Course.Tests, 1.0.0\"");
        Assert.Equal(CellStatus.Failed, cells[0].Result.Status);
        Assert.Equal("NuGetRestoreError", cells[0].Result.Error!.EName);
        Assert.Contains("No.Such.Package.For.Course.Tests", cells[0].Result.Error!.EValue);
    }
}
