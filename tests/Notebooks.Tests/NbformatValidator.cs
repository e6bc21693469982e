using System.Diagnostics;

namespace ModelSecurity.Notebooks.Tests;

/// <summary>Validates notebooks with Debian's nbformat (python3-nbformat for /usr/bin/python3).</summary>
internal static class NbformatValidator
{
    private const string Python = "/usr/bin/python3";

    public static void AssertValid(string path)
    {
        var start = new ProcessStartInfo(Python)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add("import nbformat,sys; nbformat.validate(nbformat.read(sys.argv[1], as_version=4))");
        start.ArgumentList.Add(path);
        Process process;
        try
        {
            process = Process.Start(start)!;
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            Assert.Fail($"{Python} is missing ({e.Message}); install Debian's validator: apt-get install python3-nbformat");
            return;
        }
        using (process)
        {
            string stdout = process.StandardOutput.ReadToEnd();
            string stderr = process.StandardError.ReadToEnd();
            process.WaitForExit();
            if (process.ExitCode != 0 && stderr.Contains("No module named 'nbformat'", StringComparison.Ordinal))
                Assert.Fail($"{Python} has no nbformat module; install Debian's validator: apt-get install python3-nbformat");
            Assert.True(process.ExitCode == 0, $"nbformat rejected {path}:\n{stderr}{stdout}");
        }
    }
}
