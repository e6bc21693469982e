using System.Text.Json.Nodes;
using ModelSecurity.Notebooks.Format;
using ModelSecurity.Notebooks.Timing;
using static ModelSecurity.Notebooks.Tests.TestSupport;

namespace ModelSecurity.Notebooks.Tests;

/// <summary><c>course timings</c> on small fixture notebooks whose stored cell timings are known.</summary>
public class TimingsCommandTests
{
    private static string Fixtures(string name) => Path.Combine(AppContext.BaseDirectory, "Fixtures", name);

    [Fact]
    public void TotalsLongestCellAndTheRestoreCellComeFromTheStoredMetadata()
    {
        var quick = NotebookTimings.Load(Path.Combine(Fixtures("timings"), "00-quick.ipynb"));
        Assert.Equal(100.0, quick.TotalSeconds!.Value, 6);
        Assert.True(quick.Cells[0].IsRestoreCell);
        Assert.False(quick.Cells[1].IsRestoreCell);
        Assert.Equal(2, quick.Cells[0].CellNumber); // the markdown title is cell 1
        Assert.Equal(90.0, quick.Longest(exceptRestoreCell: false)!.Seconds);
        var longest = quick.Longest(exceptRestoreCell: true)!;
        Assert.Equal((4, "Console.WriteLine(a);", 5.5), (longest.CellNumber, longest.FirstLine, longest.Seconds!.Value));

        Assert.Empty(new TimingBudget().Violations(quick)); // the 90 s restore cell is excepted
        Assert.Equal(["cell 2 90.0 s > 60 s"], new TimingBudget { ExceptRestoreCell = false }.Violations(quick));
    }

    [Fact]
    public async Task OverBudgetChaptersAreMarkedAndTheExitCodeIsOne()
    {
        var (exit, output, error) = await RunCli("timings", Fixtures("timings"));
        Assert.Equal(1, exit);
        Assert.Equal("", error);
        Assert.Contains("OVER 01-slow.ipynb: total 307.0 s > 300 s; cell 3 75.0 s > 60 s; cell 4 230.0 s > 60 s", output);
        Assert.DoesNotContain("OVER 00-quick", output);
        Assert.Matches(@"00-quick\s+100\.0 s\s+cell 4: Console\.WriteLine\(a\);\s+5\.5 s\s+ok", output);
        Assert.Contains("Whole course: ≥ 418.0 s (7.0 min)", output); // ≥: one cell of 02 is untimed
        Assert.Contains("-- early-exit", output);

        // Within a looser budget (and only the chapters that are timed) the same folder passes.
        string dir = NewDirectory();
        foreach (string name in new[] { "00-quick.ipynb", "01-slow.ipynb" }) File.Copy(Path.Combine(Fixtures("timings"), name), Path.Combine(dir, name));
        var (loose, looseOutput, _) = await RunCli("timings", dir, "--chapter-budget", "400", "--cell-budget", "240");
        Assert.Equal(0, loose);
        Assert.Contains("Whole course: 407.0 s (6.8 min) (budget 1200.0 s)", looseOutput);
        var (courseOver, courseOutput, _) = await RunCli("timings", dir, "--chapter-budget", "400", "--cell-budget", "240", "--course-budget", "400");
        Assert.Equal(1, courseOver);
        Assert.Contains("OVER the 400.0 s budget", courseOutput);
    }

    [Fact]
    public async Task AMissingTimingIsUnknownNotZero()
    {
        string file = Path.Combine(Fixtures("timings"), "02-untimed.ipynb");
        var untimed = NotebookTimings.Load(file);
        Assert.Null(untimed.TotalSeconds);
        Assert.Equal(1, untimed.UnknownCells);
        Assert.Equal(11.0, untimed.KnownSeconds, 6);

        var (exit, output, _) = await RunCli("timings", file, "--json");
        Assert.Equal(0, exit);
        var report = JsonNode.Parse(output)!;
        var stored = report["chapters"]![0]!["stored"]!;
        Assert.Null(stored["totalSeconds"]);
        Assert.Equal(1, (int)stored["unknownCells"]!);
        Assert.Null(stored["cells"]![2]!["seconds"]);
        Assert.Equal("Evaluate();", (string?)stored["longestCell"]!["firstLine"]);
        Assert.Null(report["course"]!["storedSeconds"]);
        Assert.True((bool)report["withinBudget"]!);

        var (_, text, _) = await RunCli("timings", file);
        Assert.Contains("≥ 11.0 s (1 unknown)", text);
        Assert.Contains("unknown 02-untimed.ipynb: no stored timing for cell 4", text);
    }

    [Fact]
    public async Task AMalformedNotebookOrDurationIsAClearError()
    {
        var (exit, output, error) = await RunCli("timings", Fixtures("timings-malformed"));
        Assert.Equal(2, exit);
        Assert.Equal("", output);
        Assert.Contains("broken.ipynb", error);
        Assert.Contains("course timings: error:", error);

        string dir = NewDirectory();
        var notebook = Notebook("var a = 1;");
        notebook.Cells[1].Metadata["course"] = new JsonObject { ["duration_seconds"] = "fast" };
        string path = Save(notebook, dir);
        var (badExit, _, badError) = await RunCli("timings", path);
        Assert.Equal(2, badExit);
        Assert.Contains("cell 2: metadata.course.duration_seconds is \"fast\", not a number of seconds", badError);
    }

    [Fact]
    public async Task RunTimesAFreshCopyAndNeverWritesTheStoredNotebook()
    {
        string dir = NewDirectory();
        var notebook = Notebook("var a = 6;", "System.Threading.Thread.Sleep(50); a * 7");
        foreach (var cell in notebook.Cells.Skip(1)) cell.Metadata["course"] = new JsonObject { ["duration_seconds"] = 1.0 };
        string path = Save(notebook, dir, "05-tiny.ipynb");
        string before = File.ReadAllText(path);

        var (exit, output, error) = await RunCli("timings", dir, "--run", "--json");
        Assert.True(exit == 0, error);
        Assert.Equal(before, File.ReadAllText(path));
        var chapter = JsonNode.Parse(output)!["chapters"]![0]!;
        Assert.Equal(2.0, (double)chapter["stored"]!["totalSeconds"]!, 6);
        double fresh = (double)chapter["fresh"]!["totalSeconds"]!;
        Assert.InRange((double)chapter["fresh"]!["cells"]![1]!["seconds"]!, 0.05, 600); // the Sleep(50) cell really ran
        // The ratio is rounded from the unrounded times, the printed fresh total separately: allow one unit in the last place.
        Assert.InRange((double)chapter["ratio"]!, fresh / 2.0 - 0.0011, fresh / 2.0 + 0.0011);
        Assert.Equal("fresh", (string?)JsonNode.Parse(output)!["budget"]!["checked"]);

        var (_, text, _) = await RunCli("timings", path, "--run");
        Assert.Contains("fresh/stored", text);
        // Either cell may be the longer one (the first pays for the script compiler's start); its stored time is 1.0 s.
        Assert.Matches(@"05-tiny\s+2\.0 s\s+\d+\.\d s\s+\d+\.\d\d×\s+cell [23]: .+?\s+1\.0 s\s+\d+\.\d s\s+ok", text);
    }

    [Fact]
    public async Task RunOnlyOptionsNeedRun()
    {
        var (exit, _, error) = await RunCli("timings", Fixtures("timings"), "--cell-timeout", "5");
        Assert.Equal(2, exit);
        Assert.Contains("only with --run", error);
    }
}
