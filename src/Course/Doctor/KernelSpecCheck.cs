using ModelSecurity.Kernel.Install;

namespace ModelSecurity.Cli.Doctor;

/// <summary>
/// The Jupyter kernelspec Jupyter (and VS Code) would use for the course's notebooks, <c>.net-csharp</c>: installed?
/// the course's, starting this build? or a stale path, or .NET Interactive's kernelspec of the same name?
/// </summary>
internal static class KernelSpecCheck
{
    private const string Name = "Jupyter kernelspec";
    private const string Install = "course kernel install --user   (`dotnet src/Course/bin/Release/net10.0/course.dll kernel install --user`)";

    public static DoctorResult Run(DoctorSettings settings)
    {
        var all = KernelSpecStore.List(settings.JupyterSearchPath);
        var named = all.Where(k => string.Equals(k.Name, KernelSpec.DefaultName, StringComparison.OrdinalIgnoreCase)).ToList();
        var details = named.Select(k => $"{k.Directory}{(k.Shadowed ? " (shadowed)" : "")}: {Describe(k.Spec)}").ToList();
        if (named.Count == 0)
            return new(Name, DoctorStatus.Warning,
                $"'{KernelSpec.DefaultName}' is not installed (headless `course run` works without it; interactive notebooks need it)",
                Install, ["searched: " + string.Join(Path.PathSeparator, settings.JupyterSearchPath)]);

        var winner = named[0];
        if (winner.Spec.IsDotNetInteractive)
            return new(Name, DoctorStatus.Failed,
                $"Jupyter would start .NET Interactive's '{KernelSpec.DefaultName}' from {winner.Directory}, not the course's kernel",
                $"{Install}; if it sits earlier on Jupyter's search path than your user folder, remove it ({winner.Directory}); " +
                "`dotnet tool uninstall -g Microsoft.dotnet-interactive` removes the tool", details);
        if (!winner.Spec.IsCourseKernel)
            return new(Name, DoctorStatus.Warning, $"'{KernelSpec.DefaultName}' in {winner.Directory} is another kernel ({string.Join(" ", winner.Spec.Argv)})",
                Install, details);

        string? dll = winner.Spec.Argv.FirstOrDefault(a => a.EndsWith("course.dll", StringComparison.OrdinalIgnoreCase)
                                                         || Path.GetFileNameWithoutExtension(a).Equals("course", StringComparison.OrdinalIgnoreCase));
        if (dll is null || !File.Exists(dll))
            return new(Name, DoctorStatus.Failed, $"the course's kernelspec in {winner.Directory} is stale: it starts {dll ?? "nothing recognisable"}, which does not exist",
                $"{Install} (from this clone; the repository was moved or deleted since the last install)", details);
        if (!SamePath(dll, settings.CourseAssembly))
            return new(Name, DoctorStatus.Warning, $"the course's kernelspec in {winner.Directory} starts another build: {dll}",
                $"to use this build: {Install}", details);
        return new(Name, DoctorStatus.Ok, $"the course's '{KernelSpec.DefaultName}' in {winner.Directory} starts this build", null, details);
    }

    private static string Describe(KernelSpec spec) =>
        (spec.IsCourseKernel ? "course" : spec.IsDotNetInteractive ? ".NET Interactive" : "other") + ": " + string.Join(" ", spec.Argv);

    /// <summary>Same build folder (course.dll and the apphost course sit side by side).</summary>
    private static bool SamePath(string a, string b) =>
        string.Equals(Path.GetDirectoryName(Path.GetFullPath(a)), Path.GetDirectoryName(Path.GetFullPath(b)),
            OperatingSystem.IsWindows() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal);
}
