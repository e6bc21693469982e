using ModelSecurity.Benchmarks;

// dotnet run -c Release --project benchmarks -- <name> [options]
var benchmarks = new Dictionary<string, Func<string[], Task<int>>>(StringComparer.Ordinal)
{
    ["engine"] = EngineOverheadBenchmark.RunAsync,
    ["kernel"] = KernelRoundTripBenchmark.RunAsync,
    ["pgd"] = PgdThroughputBenchmark.RunAsync,
    ["adversarial-training"] = AdversarialTrainingBenchmark.RunAsync,
    ["dp-sgd"] = DpSgdBenchmark.RunAsync,
    ["federated"] = FederatedRoundBenchmark.RunAsync,
    ["early-exit"] = EarlyExitBenchmark.RunAsync,
};

if (args.Length == 0 || !benchmarks.TryGetValue(args[0], out var run))
{
    Console.Error.WriteLine("Usage: dotnet run -c Release --project benchmarks -- <benchmark> [options]");
    Console.Error.WriteLine("Benchmarks: " + string.Join(", ", benchmarks.Keys));
    return args.Length == 0 || args[0] is "--help" or "-h" ? 0 : 2;
}
int code = await run(args[1..]);
Environment.Exit(code);
return code;
