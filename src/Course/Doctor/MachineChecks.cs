namespace ModelSecurity.Cli.Doctor;

/// <summary>The editor hint and free disk space.</summary>
internal static class MachineChecks
{
    /// <summary>Below this the course cannot build or save checkpoints reliably (libtorch alone is about 1 GB per output folder).</summary>
    public const long FailBelowBytes = 1L << 30;

    /// <summary>Below this a warning.</summary>
    public const long WarnBelowBytes = 5L << 30;

    public static DoctorResult VsCode(DoctorSettings settings) => new("VS Code", DoctorStatus.Ok,
        "hint: install the Jupyter extension (ms-toolsai.jupyter) and pick \".NET (C#)\" under Select Kernel → Jupyter Kernel…",
        null,
        [
            "disable the deprecated Polyglot Notebooks extension (ms-dotnettools.dotnet-interactive-vscode): it claims .net-csharp notebooks and asks to be installed",
            "the C# Dev Kit (ms-dotnettools.csdevkit) is for the code in src/ and tests/; environment/README.md has the rest",
        ]);

    public static DoctorResult Disk(DoctorSettings settings)
    {
        long free = settings.FreeBytes();
        string text = $"{free / (double)(1L << 30):F1} GB free";
        const string Fix = "free some space: a built clone takes a few GB (bin/ and obj/ folders; `dotnet clean` or deleting them is safe)";
        return free < FailBelowBytes ? new("Free disk", DoctorStatus.Failed, text, Fix)
            : free < WarnBelowBytes ? new("Free disk", DoctorStatus.Warning, text, Fix)
            : new("Free disk", DoctorStatus.Ok, text);
    }
}
