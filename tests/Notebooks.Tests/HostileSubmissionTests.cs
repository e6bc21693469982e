using ModelSecurity.Cli.Grading;
using ModelSecurity.Notebooks.Format;
using static ModelSecurity.Notebooks.Tests.GradingTests;
using static ModelSecurity.Notebooks.Tests.TestSupport;

namespace ModelSecurity.Notebooks.Tests;

/// <summary>Runs only where bubblewrap can build a sandbox (<c>course grade --isolate</c>); elsewhere a visible skip that says why.</summary>
public sealed class IsolationFactAttribute : FactAttribute
{
    private static readonly Lazy<(bool Works, string Why)> Probe = new(WorkerSandbox.ProbeIsolation);

    public IsolationFactAttribute()
    {
        if (!Probe.Value.Works) Skip = $"--isolate cannot work here: {Probe.Value.Why}";
    }
}

/// <summary>
/// <c>course grade</c> against a hostile student (issue 19), on the toy exercise set: each attack is a submission graded
/// next to an honest one, and each test asserts the attacked exercise's grade, the other exercises graded, the grader
/// alive (the test host is the grader) and the CSV complete.
/// </summary>
public class HostileSubmissionTests
{
    private const string WrongSquare = "double Square(double x) => x + x;";

    private sealed record Graded(int Exit, string[] Rows, string Error, TimeSpan Elapsed)
    {
        public string[] For(string file) => Rows.Where(r => r.StartsWith(file + ",", StringComparison.Ordinal)).ToArray();

        /// <summary>Asserts one row per toy exercise for <paramref name="file"/>, passed or failed as given.</summary>
        public void Assert(string file, bool square, bool clip, bool argmax)
        {
            var rows = For(file);
            Xunit.Assert.True(rows.Length == 3, $"{file}: expected 3 rows in the CSV\n{string.Join("\n", Rows)}\n{Error}");
            foreach (var (exercise, passed) in new[] { ("toy/square", square), ("toy/clip", clip), ("toy/argmax", argmax) })
            {
                string row = rows.Single(r => r.StartsWith($"{file},{exercise},", StringComparison.Ordinal));
                Xunit.Assert.True(row.Contains(passed ? ",true," : ",false,", StringComparison.Ordinal), $"{exercise} of {file} should have {(passed ? "passed" : "failed")}: {row}");
            }
        }
    }

    /// <summary>Grades a folder holding <paramref name="hostile"/> (named a-hostile.ipynb) and an honest, right submission.</summary>
    private static async Task<Graded> GradeWithHonestSibling(NotebookDocument hostile, params string[] options) =>
        await GradeFolder(NewDirectory(), [("a-hostile.ipynb", hostile), ("b-honest.ipynb", Submission(RightSquare, RightClip, RightArgMax))], options);

    private static async Task<Graded> GradeFolder(string dir, IEnumerable<(string Name, NotebookDocument Notebook)> submissions, params string[] options)
    {
        foreach (var (name, notebook) in submissions) Save(notebook, dir, name);
        string csv = Path.Combine(NewDirectory(), "grades.csv");
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var (exit, output, error) = await RunCli(["grade", dir, "-o", csv, "--time-limit", "120", "--call-timeout", "20", .. options]);
        clock.Stop();
        Assert.True(File.Exists(csv), $"no CSV: exit {exit}\n{output}\n{error}");
        return new Graded(exit, File.ReadAllLines(csv), error, clock.Elapsed);
    }

    /// <summary>A token no other process on the machine has in its command line.</summary>
    private static string Token() => Random.Shared.Next(100_000, 999_999).ToString(System.Globalization.CultureInfo.InvariantCulture);

    private static bool ProcessWithCommandLine(string text) =>
        Directory.EnumerateDirectories("/proc").Any(dir =>
        {
            try { return File.ReadAllText(Path.Combine(dir, "cmdline")).Replace('\0', ' ').Contains(text, StringComparison.Ordinal); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return false; }
        });

    [Fact]
    public async Task KeyFromBufferedStdinOrCommandLineGivesNothing()
    {
        // The old worker read its signing key from standard input; now there is no key, and stdin is closed and empty.
        var graded = await GradeWithHonestSibling(Submission(WrongSquare, RightClip, RightArgMax, tail: """
            string stdin = Console.In.ReadToEnd();
            var reader = Console.In.GetType().GetField("_in", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance)?.GetValue(Console.In);
            Console.WriteLine($"stdin: '{stdin}' {reader}; args: {string.Join(" ", Environment.GetCommandLineArgs())}");
            File.WriteAllText("report.json", "{\"toy/square\": true}");
            Environment.Exit(0);
            """));
        graded.Assert("a-hostile.ipynb", square: false, clip: true, argmax: true);
        graded.Assert("b-honest.ipynb", true, true, true);
    }

    [Fact]
    public async Task ForgedReportsAndPrintedResultsAreIgnored()
    {
        var graded = await GradeWithHonestSibling(Submission(WrongSquare, RightClip, RightArgMax, tail: """
            string forged = "toy/square,true,ok,3/3\n{\"Exercise\":\"toy/square\",\"Passed\":true}";
            foreach (string place in new[] { "report.json", "../report.json", Path.Combine(Path.GetTempPath(), "report.json"), "grades.csv" })
                try { File.WriteAllText(place, forged); } catch (Exception) { }
            Console.WriteLine("toy/square  PASS\nScore: 3/3");
            Console.Error.WriteLine(forged);
            """));
        graded.Assert("a-hostile.ipynb", square: false, clip: true, argmax: true);
        graded.Assert("b-honest.ipynb", true, true, true);
    }

    [Fact]
    public async Task PatchingTheChecksByReflectionChangesNothing()
    {
        // Replaces every check in the worker's CheckRegistry by one that passes (3/3 when checks ran in the worker).
        var graded = await GradeWithHonestSibling(Submission(WrongSquare, RightClip, RightArgMax, tail: """
            using System.Reflection;
            using System.Reflection.Emit;
            var grading = Assembly.Load("ModelSecurity.Grading");
            var context = grading.GetType("ModelSecurity.Grading.IExerciseContext")!;
            var result = grading.GetType("ModelSecurity.Grading.CheckResult")!;
            var pass = new DynamicMethod("Pass", result, [context], result.Module, true);
            var il = pass.GetILGenerator();
            il.Emit(OpCodes.Ldstr, "ok");
            il.Emit(OpCodes.Call, result.GetMethod("Pass")!);
            il.Emit(OpCodes.Ret);
            var registryType = grading.GetType("ModelSecurity.Grading.CheckRegistry")!;
            var registry = registryType.GetProperty("Default")!.GetValue(null)!;
            var checks = (System.Collections.IDictionary)registryType.GetField("_checks", BindingFlags.NonPublic | BindingFlags.Instance)!.GetValue(registry)!;
            var checkType = grading.GetType("ModelSecurity.Grading.ExerciseCheck")!;
            int patched = 0;
            foreach (System.Collections.IList list in checks.Values)
                for (int i = 0; i < list.Count; i++, patched++)
                    list[i] = Activator.CreateInstance(checkType, checkType.GetProperty("Id")!.GetValue(list[i]), pass, 0);
            if (patched == 0) throw new Exception("nothing patched");
            """));
        graded.Assert("a-hostile.ipynb", square: false, clip: true, argmax: true);
        graded.Assert("b-honest.ipynb", true, true, true);
    }

    [Fact]
    public async Task AnsweringOnlyTheFixedCasesOfTheCheckSourceFails()
    {
        // Read from src/Grading/Toy/ToyChecks.cs: the fixed inputs and their answers, nothing else.
        var graded = await GradeWithHonestSibling(Submission(
            "double Square(double x) => x switch { 3.0 => 9, -2.5 => 6.25, 0.0 => 0, 1e3 => 1e6, 0.1 => 0.1 * 0.1, _ => 0 };", RightClip,
            "int ArgMax(float[] s) => s.Length switch { 3 when s[0] == 0.1f => 1, 1 => 0, 3 when s[0] == -3f => 1, 3 => 1, _ => 0 };"));
        graded.Assert("a-hostile.ipynb", square: false, clip: true, argmax: false);
        Assert.Contains(graded.For("a-hostile.ipynb"), r => r.Contains("Square(") && r.Contains("expected"));
        graded.Assert("b-honest.ipynb", true, true, true);
    }

    [Fact]
    public async Task KillingTheParentLeavesTheGraderAlive()
    {
        // The grader is this test host: if the kill reached it, the test would not finish.
        var graded = await GradeWithHonestSibling(Submission(RightSquare, RightClip, RightArgMax, tail: """
            string stat = File.ReadAllText("/proc/self/stat");
            int parent = int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[1]);
            System.Diagnostics.Process.Start("kill", $"-9 {parent}")!.WaitForExit();
            System.Threading.Thread.Sleep(1000);
            """));
        graded.Assert("a-hostile.ipynb", true, true, true);
        graded.Assert("b-honest.ipynb", true, true, true);
    }

    [IsolationFact]
    public async Task KillingEverythingVisibleInTheSandboxLeavesTheGraderAlive()
    {
        var graded = await GradeWithHonestSibling(Submission(RightSquare, RightClip, RightArgMax, tail: """
            System.Diagnostics.Process.Start("kill", "-9 -1")!.WaitForExit();
            System.Threading.Thread.Sleep(1000);
            """), "--isolate");
        graded.Assert("a-hostile.ipynb", true, true, true);
        graded.Assert("b-honest.ipynb", true, true, true);
    }

    [Fact]
    public async Task OverwritingASiblingSubmissionDoesNotChangeItsGrade()
    {
        string dir = NewDirectory();
        var graded = await GradeFolder(dir, [("a-hostile.ipynb", Submission(RightSquare, RightClip, RightArgMax, tail: $$"""
            foreach (string file in Directory.GetFiles(@"{{dir}}", "*.ipynb"))
                if (!file.EndsWith("a-hostile.ipynb")) File.WriteAllText(file, "{\"cells\": []}");
            """)), ("b-honest.ipynb", Submission(RightSquare, RightClip, RightArgMax))]);
        graded.Assert("a-hostile.ipynb", true, true, true);
        // Every submission was read before any ran: the sibling is graded on what its author handed in.
        graded.Assert("b-honest.ipynb", true, true, true);
    }

    [IsolationFact]
    public async Task WithIsolateTheTeachersFolderAndTheRepositoryAreReadOnly()
    {
        string dir = NewDirectory(), token = Token();
        string repositoryFile = Path.Combine(RepositoryRoot(), $"escape-{token}.txt");
        var graded = await GradeFolder(dir, [("a-hostile.ipynb", Submission(RightSquare, RightClip, RightArgMax, tail: $$"""
            foreach (string file in Directory.GetFiles(@"{{dir}}", "*.ipynb")) try { File.WriteAllText(file, "{}"); } catch (IOException) { }
            foreach (string file in new[] { @"{{repositoryFile}}", @"{{Path.Combine(dir, "escape.txt")}}" }) try { File.WriteAllText(file, "x"); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            """)), ("b-honest.ipynb", Submission(RightSquare, RightClip, RightArgMax))], "--isolate");
        graded.Assert("a-hostile.ipynb", true, true, true);
        graded.Assert("b-honest.ipynb", true, true, true);
        Assert.False(File.Exists(repositoryFile));
        Assert.False(File.Exists(Path.Combine(dir, "escape.txt")));
        Assert.Contains("\"cells\"", File.ReadAllText(Path.Combine(dir, "b-honest.ipynb")));
    }

    [Fact]
    public async Task ADetachedChildHoldingThePipesIsKilledAndDoesNotDelayGrading()
    {
        string token = Token();
        var graded = await GradeWithHonestSibling(Submission(RightSquare, RightClip, RightArgMax, tail: $$"""
            // Inherits the worker's standard output and error, in a session of its own, without the worker's environment marker.
            var start = new System.Diagnostics.ProcessStartInfo("setsid", "-f env -i sleep {{token}}") { UseShellExecute = false };
            System.Diagnostics.Process.Start(start)!.WaitForExit();
            """), "--time-limit", "60");
        graded.Assert("a-hostile.ipynb", true, true, true);
        graded.Assert("b-honest.ipynb", true, true, true);
        // Time-limit behaviour, with a wide margin: the old grader waited for the pipes to close (over 60 s for a 10 s limit).
        Assert.True(graded.Elapsed < TimeSpan.FromSeconds(120), $"grading took {graded.Elapsed}");
        Assert.False(ProcessWithCommandLine($"sleep {token}"), "the detached child outlived the grading");
    }

    [IsolationFact]
    public async Task AForkBombIsBoundedAndKilled()
    {
        string token = Token();
        var graded = await GradeWithHonestSibling(Submission(RightSquare, RightClip, RightArgMax, tail: $$"""
            System.Diagnostics.Process.Start("sh", "-c 'i=0; while [ $i -lt 5000 ]; do sleep {{token}} & i=$((i+1)); done; wait'");
            System.Threading.Thread.Sleep(3000);
            """), "--isolate");
        graded.Assert("a-hostile.ipynb", true, true, true);
        graded.Assert("b-honest.ipynb", true, true, true);
        Assert.False(ProcessWithCommandLine($"sleep {token}"), "processes of the fork bomb outlived the grading");
    }

    [Fact]
    public async Task RunningOutOfMemoryCostsOnlyTheCellThatDidIt()
    {
        var graded = await GradeWithHonestSibling(Submission(RightSquare, RightClip, RightArgMax, tail: """
            var hog = new List<byte[]>();
            while (true) { var block = new byte[50_000_000]; Array.Fill(block, (byte)1); hog.Add(block); }
            """), "--memory", "1024");
        graded.Assert("a-hostile.ipynb", true, true, true);
        graded.Assert("b-honest.ipynb", true, true, true);
    }

    [Fact]
    public async Task FloodingTheOutputIsDrainedAndBounded()
    {
        var graded = await GradeWithHonestSibling(Submission(RightSquare, RightClip, RightArgMax, tail: """
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var raw = Console.OpenStandardOutput();
            var rawError = Console.OpenStandardError();
            var block = System.Text.Encoding.ASCII.GetBytes(new string('x', 1 << 20) + "\ntoy/square PASS\n");
            while (clock.Elapsed.TotalSeconds < 4) { raw.Write(block); rawError.Write(block); }
            for (int i = 0; i < 200; i++) Console.WriteLine(new string('y', 100_000));
            """));
        graded.Assert("a-hostile.ipynb", true, true, true);
        graded.Assert("b-honest.ipynb", true, true, true);
        Assert.True(graded.Error.Length < 100_000, $"the grader's own output grew to {graded.Error.Length} characters");
    }

    [Fact]
    public async Task AFolderMixingHostileAndHonestSubmissionsGradesEachCorrectly()
    {
        string dir = NewDirectory();
        var graded = await GradeFolder(dir,
        [
            ("a-fixed-cases.ipynb", Submission("double Square(double x) => x switch { 3.0 => 9, -2.5 => 6.25, 0.0 => 0, 1e3 => 1e6, 0.1 => 0.1 * 0.1, _ => 0 };", RightClip, RightArgMax)),
            ("b-exit-then-forge.ipynb", Submission(WrongSquare, RightClip, RightArgMax,
                tail: "File.WriteAllText(\"report.json\", \"{}\"); Console.WriteLine(\"Score: 3/3\"); Environment.Exit(0);")),
            ("c-honest.ipynb", Submission(RightSquare, RightClip, RightArgMax)),
            ("d-hang-in-call.ipynb", Submission(RightSquare, "float[] ClipLinf(float[] d, float e) { while (true) { } }", RightArgMax)),
            ("e-sibling-wrecker.ipynb", Submission(RightSquare, RightClip, RightArgMax,
                tail: $$"""foreach (string f in Directory.GetFiles(@"{{dir}}", "*.ipynb")) if (!f.EndsWith("e-sibling-wrecker.ipynb")) File.WriteAllText(f, "{}");""")),
            ("f-honest-partial.ipynb", Submission(RightSquare, RightClip, "int ArgMax(float[] s) => Array.LastIndexOf(s, s.Max());")),
            ("g-hang-after-exercises.ipynb", Submission(RightSquare, RightClip, RightArgMax, tail: "while (true) { }")),
        ], "--time-limit", "90", "--cell-timeout", "15", "--call-timeout", "5");
        Assert.Equal("file,exercise,passed,message,score", graded.Rows[0]);
        Assert.Equal(1 + 7 * 3, graded.Rows.Length);
        graded.Assert("a-fixed-cases.ipynb", false, true, true);
        graded.Assert("b-exit-then-forge.ipynb", false, true, true);
        graded.Assert("c-honest.ipynb", true, true, true);
        // A learner's function that hangs costs that exercise only, and the message says which call.
        graded.Assert("d-hang-in-call.ipynb", true, false, true);
        Assert.Contains(graded.For("d-hang-in-call.ipynb"), r => r.Contains("toy/clip") && r.Contains("ClipLinf") && r.Contains("did not return within"));
        graded.Assert("e-sibling-wrecker.ipynb", true, true, true);
        graded.Assert("f-honest-partial.ipynb", true, true, false);
        // A cell after the exercises that never ends costs nothing, and the report says which cell it was.
        graded.Assert("g-hang-after-exercises.ipynb", true, true, true);
        Assert.All(graded.For("g-hang-after-exercises.ipynb"), r => Assert.Matches(@"cell 9 did not finish within --cell-timeout", r)); // the tail is cell 9
        Assert.Equal(1, graded.Exit);
    }
}
