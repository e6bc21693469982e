namespace ModelSecurity.Tests.Data;

/// <summary>
/// The data tests that create and free tensors run in this collection: one after another, and after the parallel
/// collections, because some tests (e.g. TorchRuntimeTests) compare the process-wide Tensor.TotalCount before and after.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TorchCollection
{
    public const string Name = "TorchSharp tensors (data)";
}
