namespace ModelSecurity;

/// <summary>
/// Where the course's files are: the course folder (the one holding Course.sln and data/) and the data folders in it.
/// </summary>
/// <remarks>
/// The course folder is the value of the environment variable <see cref="RootVariable"/> when set; otherwise the first
/// folder containing both Course.sln and data/ found walking up from the program's folder
/// (<see cref="AppContext.BaseDirectory"/>), then from the current directory.
/// </remarks>
public static class CoursePaths
{
    /// <summary>Environment variable that names the course folder explicitly.</summary>
    public const string RootVariable = "COURSE_ROOT";

    // PublicationOnly: a failed search is not remembered, so it is retried after the learner fixes things.
    private static readonly Lazy<string> Discovered = new(
        () => Discover(null, [AppContext.BaseDirectory, Directory.GetCurrentDirectory()]), LazyThreadSafetyMode.PublicationOnly);

    /// <summary>The course folder.</summary>
    /// <exception cref="InvalidOperationException">It cannot be found, or <see cref="RootVariable"/> names a folder that does not exist.</exception>
    public static string Root
    {
        get
        {
            string? fromEnvironment = Environment.GetEnvironmentVariable(RootVariable);
            return string.IsNullOrWhiteSpace(fromEnvironment) ? Discovered.Value : Discover(fromEnvironment, []);
        }
    }

    /// <summary>Root/data.</summary>
    public static string DataDirectory => Path.Combine(Root, "data");

    /// <summary>Root/data/fashion-mnist: the shipped Fashion-MNIST files and their SHA256SUMS.</summary>
    public static string FashionMnistDirectory => Path.Combine(DataDirectory, "fashion-mnist");

    /// <summary>Root/data/mnist: cache folder for the MNIST downloads, created when first asked for.</summary>
    public static string MnistDirectory => Created(Path.Combine(DataDirectory, "mnist"));

    /// <summary>Root/data/checkpoints: where trained model weights are saved, created when first asked for.</summary>
    public static string CheckpointDirectory => Created(Path.Combine(DataDirectory, "checkpoints"));

    /// <summary>
    /// Finds the course folder: <paramref name="fromEnvironment"/> when given (it must exist), otherwise the first folder
    /// containing Course.sln and data/ at or above one of <paramref name="starts"/>, tried in order.
    /// </summary>
    internal static string Discover(string? fromEnvironment, IEnumerable<string> starts)
    {
        if (!string.IsNullOrWhiteSpace(fromEnvironment))
        {
            string given = Path.GetFullPath(fromEnvironment.Trim());
            if (!Directory.Exists(given))
                throw new InvalidOperationException(
                    $"{RootVariable}={fromEnvironment} names a folder that does not exist. Set {RootVariable} to the course folder " +
                    "(the one containing Course.sln and data/), or unset it to let the course find that folder itself.");
            return given;
        }

        var tried = new List<string>();
        foreach (string start in starts)
        {
            if (string.IsNullOrWhiteSpace(start)) continue;
            for (var folder = new DirectoryInfo(Path.GetFullPath(start)); folder != null; folder = folder.Parent)
            {
                if (File.Exists(Path.Combine(folder.FullName, "Course.sln")) && Directory.Exists(Path.Combine(folder.FullName, "data")))
                    return folder.FullName;
            }
            tried.Add(Path.GetFullPath(start));
        }
        throw new InvalidOperationException(
            "Cannot find the course folder (the one containing Course.sln and data/): none of the folders above " +
            $"{string.Join(" or ", tried.Select(t => $"\"{t}\""))} has both. Run from inside the course folder, or set " +
            $"{RootVariable} to the course folder (e.g. export {RootVariable}=/path/to/course).");
    }

    private static string Created(string path)
    {
        Directory.CreateDirectory(path);
        return path;
    }
}
