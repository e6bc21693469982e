using static TorchSharp.torch;

namespace ModelSecurity.Training;

/// <summary>Seeding, so that a recipe run twice on the same machine gives the same model.</summary>
public static class Reproducibility
{
    /// <summary>Seeds TorchSharp's global generator (weight initialisation, dropout, random starts).</summary>
    public static void Seed(int seed)
    {
        Runtime.TorchRuntime.EnsureLoaded();
        manual_seed(seed);
    }
}
