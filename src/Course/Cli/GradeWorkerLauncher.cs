using System.Diagnostics;
using ModelSecurity.Grading;
using ModelSecurity.Notebooks.Execution;

namespace ModelSecurity.Cli;

/// <summary>
/// Parent side of grading: runs one submission in a child process (<c>course grade-worker</c>) with a time limit
/// and accepts only a report signed with the key it sent the child on standard input.
/// </summary>
internal static class GradeWorkerLauncher
{
    public sealed record Outcome(IReadOnlyList<ExerciseResult> Results, string? Problem);

    public static async Task<Outcome> GradeAsync(string notebook, IReadOnlyList<string> exercises, TimeSpan timeLimit,
        TimeSpan? cellTimeout, string? cacheRoot, IReadOnlyList<KeyValuePair<string, string>> parameters, CancellationToken cancellationToken)
    {
        byte[] key = SignedResults.NewKey();
        string nonce = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16));
        string workDir = Directory.CreateTempSubdirectory("course-grade-").FullName;
        string resultFile = Path.Combine(workDir, "report.json");
        try
        {
            var (fileName, prefix) = SelfCommand.Resolve(preferAppHost: true);
            var start = new ProcessStartInfo(fileName)
            {
                RedirectStandardInput = true,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
                WorkingDirectory = Path.GetDirectoryName(Path.GetFullPath(notebook))!,
            };
            foreach (string a in prefix) start.ArgumentList.Add(a);
            start.ArgumentList.Add("grade-worker");
            start.ArgumentList.Add(Path.GetFullPath(notebook));
            start.ArgumentList.Add("--result-file");
            start.ArgumentList.Add(resultFile);
            start.ArgumentList.Add("--nonce");
            start.ArgumentList.Add(nonce);
            start.ArgumentList.Add("--exercises");
            start.ArgumentList.Add(string.Join(",", exercises));
            start.ArgumentList.Add("--cell-timeout");
            start.ArgumentList.Add(((int)Math.Ceiling((cellTimeout ?? timeLimit).TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture));
            if (cacheRoot is not null) { start.ArgumentList.Add("--cache"); start.ArgumentList.Add(cacheRoot); }
            foreach (var (name, value) in parameters) { start.ArgumentList.Add("--param"); start.ArgumentList.Add($"{name}={value}"); }

            using var process = Process.Start(start) ?? throw new InvalidOperationException("could not start the grading worker");
            var stderrTail = new Queue<string>();
            process.ErrorDataReceived += (_, e) =>
            {
                if (e.Data is null) return;
                lock (stderrTail)
                {
                    stderrTail.Enqueue(e.Data);
                    while (stderrTail.Count > 15) stderrTail.Dequeue();
                }
            };
            process.OutputDataReceived += (_, _) => { }; // whatever the notebook prints is ignored
            process.BeginErrorReadLine();
            process.BeginOutputReadLine();
            // The key goes first, before any notebook code runs; the worker keeps it in a local variable only.
            await process.StandardInput.WriteLineAsync(SignedResults.EncodeKey(key)).ConfigureAwait(false);
            process.StandardInput.Close();

            using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            limit.CancelAfter(timeLimit);
            try
            {
                await process.WaitForExitAsync(limit.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
                await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
                string why = cancellationToken.IsCancellationRequested
                    ? "grading was interrupted"
                    : $"time limit of {timeLimit.TotalSeconds:0} s exceeded (--time-limit)";
                return Failed(exercises, why);
            }

            if (!File.Exists(resultFile))
            {
                string tail;
                lock (stderrTail) tail = string.Join(" | ", stderrTail.Where(l => l.Trim().Length > 0).TakeLast(3));
                return Failed(exercises, $"the grading worker exited with code {process.ExitCode} without a report " +
                                         "(did the notebook end the process, e.g. with Environment.Exit?)" + (tail.Length > 0 ? $": {tail}" : ""));
            }
            GradeReport report;
            try
            {
                string envelope = await File.ReadAllTextAsync(resultFile, CancellationToken.None).ConfigureAwait(false);
                report = SignedResults.Verify(key, envelope, nonce);
            }
            catch (GradeSignatureException e)
            {
                return Failed(exercises, e.Message);
            }
            var results = exercises.Select(id => report.Results.FirstOrDefault(r => r.Exercise == id)
                                                 ?? new ExerciseResult(id, false, "the grading report has no result for this exercise")).ToList();
            return new Outcome(results, null);
        }
        finally
        {
            try { Directory.Delete(workDir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    private static Outcome Failed(IReadOnlyList<string> exercises, string why) =>
        new(exercises.Select(id => new ExerciseResult(id, false, why)).ToList(), why);
}
