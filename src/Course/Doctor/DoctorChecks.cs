namespace ModelSecurity.Cli.Doctor;

/// <summary>Runs the checks of <c>course doctor</c> in order; a check that throws is reported as failed, not as a crash.</summary>
internal static class DoctorChecks
{
    /// <summary>The checks, in the order they are printed.</summary>
    public static IReadOnlyList<(string Name, Func<DoctorSettings, DoctorResult> Run)> Checks { get; } =
    [
        (".NET", RuntimeChecks.DotNet),
        ("TorchSharp native libraries", RuntimeChecks.TorchSharpNative),
        ("CPU", RuntimeChecks.Cpu),
        ("CUDA", RuntimeChecks.Cuda),
        ("Numerics self-test", NumericsCheck.Run),
        ("Data checksums", DataChecks.Checksums),
        ("Shipped checkpoints", DataChecks.Checkpoints),
        ("Jupyter kernelspec", KernelSpecCheck.Run),
        ("VS Code", MachineChecks.VsCode),
        ("Free disk", MachineChecks.Disk),
    ];

    /// <summary>Runs every check, reporting each result as soon as it is known.</summary>
    public static IReadOnlyList<DoctorResult> Run(DoctorSettings settings, Action<DoctorResult>? onResult = null, CancellationToken cancel = default)
    {
        var results = new List<DoctorResult>();
        foreach (var (name, run) in Checks)
        {
            cancel.ThrowIfCancellationRequested();
            DoctorResult result;
            try
            {
                result = run(settings);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                result = new(name, DoctorStatus.Failed, $"the check itself failed: {e.GetType().Name}: {e.Message}",
                    "report this with the output of `course doctor`");
            }
            results.Add(result);
            onResult?.Invoke(result);
        }
        return results;
    }
}
