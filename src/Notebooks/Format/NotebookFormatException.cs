namespace ModelSecurity.Notebooks.Format;

/// <summary>A file that is not a notebook this engine can run: not JSON, not nbformat 4, or cells missing or malformed.</summary>
public sealed class NotebookFormatException : Exception
{
    /// <summary>Creates the exception; the message names the file and what is wrong with it.</summary>
    public NotebookFormatException(string? path, string problem, Exception? inner = null)
        : base($"{path ?? "notebook"}: {problem}", inner)
    {
        FilePath = path;
        Problem = problem;
    }

    /// <summary>The file, when known.</summary>
    public string? FilePath { get; }

    /// <summary>What is wrong, without the file name.</summary>
    public string Problem { get; }
}
