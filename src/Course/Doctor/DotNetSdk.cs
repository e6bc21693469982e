using System.Diagnostics;
using ModelSecurity.Notebooks.Execution;

namespace ModelSecurity.Cli.Doctor;

/// <summary>Asks the dotnet host which SDK it would use.</summary>
internal static class DotNetSdk
{
    /// <summary>The output of <c>dotnet --version</c>, or null when it fails (no SDK, only a runtime).</summary>
    public static string? Version()
    {
        try
        {
            var start = new ProcessStartInfo(NuGetRestorer.DotnetHost(), ["--version"])
            {
                RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = CoursePaths.Root,
            };
            using var process = Process.Start(start);
            if (process is null) return null;
            string output = process.StandardOutput.ReadToEnd().Trim();
            process.StandardError.ReadToEnd();
            if (!process.WaitForExit(30_000)) { process.Kill(); return null; }
            return process.ExitCode == 0 && output.Length > 0 ? output : null;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null;
        }
    }
}
