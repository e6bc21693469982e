namespace ModelSecurity.Tests.Models;

/// <summary>
/// The models tests share TorchSharp's global state (the random seed, the live-tensor count that
/// TorchRuntimeTests checks), so they run one at a time, after the tests that may run in parallel.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ModelsCollection
{
    public const string Name = "Models (serial: TorchSharp global state)";
}
