using System.Diagnostics;
using System.Globalization;
using ModelSecurity.Notebooks.Execution;

namespace ModelSecurity.Benchmarks;

/// <summary>
/// Engine overhead per cell: N tiny cells (one statement each) run through the notebook engine, against the same
/// statements in a compiled method, measured side by side in one process. A second pair runs one cell with a
/// real loop against the same loop compiled, to show that code inside a cell runs at compiled speed.
/// Options: --cells N (default 200), --loop N (default 20000000).
/// </summary>
internal static class EngineOverheadBenchmark
{
    public static async Task<int> RunAsync(string[] args)
    {
        int cells = Option(args, "--cells", 200);
        int loop = Option(args, "--loop", 20_000_000);
        var engine = new NotebookEngine(new EngineOptions { BaseDirectory = Path.GetTempPath(), NotebookName = "benchmark.ipynb" });

        var clock = Stopwatch.StartNew();
        await Run(engine, "long acc = 0;");
        var startup = clock.Elapsed;

        // Tiny cells: each a distinct statement, so each is compiled, emitted and loaded.
        clock.Restart();
        for (int i = 1; i <= cells; i++)
            await Run(engine, $"acc = acc * 31 + {i};");
        var engineCells = clock.Elapsed;
        long engineValue = (long)(await engine.EvaluateAsync<long>("acc"));

        clock.Restart();
        long compiledValue = 0;
        for (int repeat = 0; repeat < 1000; repeat++) compiledValue = TinyStatements(cells);
        var compiledCells = clock.Elapsed / 1000.0;
        if (compiledValue != engineValue) throw new InvalidOperationException($"results differ: {engineValue} vs {compiledValue}");

        // One cell with real work vs the same loop compiled.
        string loopCell = $"double sum = 0;\nfor (int i = 1; i <= {loop}; i++) sum += 1.0 / i;\nsum";
        await Run(engine, loopCell); // warm-up (JIT of the submission)
        clock.Restart();
        await Run(engine, loopCell);
        var engineLoop = clock.Elapsed;
        string methodCell = $"double Harmonic(int n)\n{{\n    double s = 0;\n    for (int i = 1; i <= n; i++) s += 1.0 / i;\n    return s;\n}}\nHarmonic({loop})";
        await Run(engine, methodCell);
        clock.Restart();
        await Run(engine, methodCell);
        var engineMethod = clock.Elapsed;
        clock.Restart();
        await Run(engine, "1");
        var emptyCell = clock.Elapsed;
        Loop(loop);
        clock.Restart();
        double compiledSum = Loop(loop);
        var compiledLoop = clock.Elapsed;

        Console.WriteLine($"Engine overhead benchmark ({cells} tiny cells; loop of {loop:N0} iterations), .NET {Environment.Version}, {Environment.ProcessorCount} cores");
        Console.WriteLine($"  first cell (Roslyn start-up)      {Ms(startup),12}");
        Console.WriteLine($"  {cells} tiny cells, engine          {Ms(engineCells),12}   ({Ms(engineCells / cells)} per cell)");
        Console.WriteLine($"  same {cells} statements, compiled   {Ms(compiledCells),12}");
        Console.WriteLine($"  ratio engine / compiled           {engineCells / compiledCells,12:N0}x");
        Console.WriteLine($"  trivial cell ('1'), engine        {Ms(emptyCell),12}");
        Console.WriteLine($"  same loop, compiled               {Ms(compiledLoop),12}   (sum {compiledSum:F6})");
        Console.WriteLine($"  loop at cell top level, engine    {Ms(engineLoop),12}   ratio {engineLoop / compiledLoop:F2}x (top-level variables are fields of the script object)");
        Console.WriteLine($"  loop in a method of the cell      {Ms(engineMethod),12}   ratio {engineMethod / compiledLoop:F2}x (includes compiling the cell)");
        return 0;
    }

    private static async Task Run(NotebookEngine engine, string code)
    {
        var result = await engine.ExecuteAsync(code, new CellOutputCollector());
        if (result.Status != CellStatus.Succeeded) throw new InvalidOperationException($"cell failed: {result.Error?.EValue}");
    }

    private static long TinyStatements(int cells)
    {
        long acc = 0;
        for (int i = 1; i <= cells; i++) acc = acc * 31 + i; // the same statements the cells run, one per cell
        return acc;
    }

    private static double Loop(int n)
    {
        double sum = 0;
        for (int i = 1; i <= n; i++) sum += 1.0 / i;
        return sum;
    }

    private static string Ms(TimeSpan t) => t.TotalMilliseconds >= 1
        ? t.TotalMilliseconds.ToString("N1", CultureInfo.InvariantCulture) + " ms"
        : (t.TotalMilliseconds * 1000).ToString("N2", CultureInfo.InvariantCulture) + " µs";

    private static int Option(string[] args, string name, int fallback)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length && int.TryParse(args[i + 1], out int v) ? v : fallback;
    }
}
