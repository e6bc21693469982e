// TorchSharp already spreads each operation over every core, and some tests count live native tensors:
// running test classes in parallel would make those counts meaningless and gain little speed.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
