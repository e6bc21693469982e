using ModelSecurity.Runtime;

namespace ModelSecurity.Models;

/// <summary>Constructor-argument checks shared by the models.</summary>
internal static class ModelArguments
{
    /// <summary>
    /// Loads TorchSharp with a helpful error when that fails, then returns <paramref name="moduleName"/> for the base constructor.
    /// </summary>
    public static string Prepare(string moduleName)
    {
        TorchRuntime.EnsureLoaded();
        return moduleName;
    }

    /// <summary>Returns <paramref name="numClasses"/> when it is at least 2.</summary>
    public static int CheckNumClasses(int numClasses)
    {
        if (numClasses < 2)
            throw new ArgumentOutOfRangeException(nameof(numClasses), numClasses, "A classifier needs at least 2 classes.");
        return numClasses;
    }
}
