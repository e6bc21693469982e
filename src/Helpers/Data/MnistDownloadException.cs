namespace ModelSecurity.Data;

/// <summary>
/// No mirror could provide a verified copy of an MNIST file. The message lists each mirror with its failure and,
/// when the failures look like a missing network connection, how to place the files by hand.
/// </summary>
public sealed class MnistDownloadException : Exception
{
    /// <summary>Creates the exception with an explanatory message.</summary>
    /// <param name="fileName">The file that could not be obtained.</param>
    /// <param name="failures">One entry per mirror tried.</param>
    /// <param name="message">The full explanation.</param>
    public MnistDownloadException(string fileName, IReadOnlyList<MnistMirrorFailure> failures, string message)
        : base(message)
    {
        FileName = fileName;
        Failures = failures;
    }

    /// <summary>The file that could not be obtained, e.g. "train-images-idx3-ubyte.gz".</summary>
    public string FileName { get; }

    /// <summary>What happened at each mirror, in the order tried.</summary>
    public IReadOnlyList<MnistMirrorFailure> Failures { get; }

    /// <summary>True when every mirror failed with a network error: the machine seems to be offline.</summary>
    public bool LooksOffline => Failures.Count > 0 && Failures.All(f => f.IsNetworkError);
}
