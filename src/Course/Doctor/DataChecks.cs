using System.Globalization;
using ModelSecurity.Data;
using ModelSecurity.Models;
using ModelSecurity.Training;

namespace ModelSecurity.Cli.Doctor;

/// <summary>The shipped data: checksums against data/SHA256SUMS, and every checkpoint's recorded accuracy.</summary>
internal static class DataChecks
{
    public static DoctorResult Checksums(DoctorSettings settings)
    {
        const string Name = "Data checksums";
        string manifest = Path.Combine(settings.DataDirectory, DataManifest.FileName);
        if (!File.Exists(manifest))
            return new(Name, DoctorStatus.Failed, $"{manifest} is missing",
                "restore it (git checkout -- data/SHA256SUMS), or write it from the files you have: course doctor --update-manifest");
        var (listed, mismatched, missing, unlisted) = DataManifest.Verify(settings.DataDirectory);
        var details = mismatched.Select(f => $"✘ {f}: SHA-256 differs from the manifest")
            .Concat(missing.Select(f => $"✘ {f}: missing"))
            .Concat(unlisted.Select(f => $"! {f}: not in the manifest")).ToList();
        if (mismatched.Count + missing.Count > 0)
            return new(Name, DoctorStatus.Failed, $"{mismatched.Count} changed and {missing.Count} missing of {listed} files",
                "restore them: git checkout -- data/ (or git lfs pull / copy them again from the course repository); if you " +
                "changed them on purpose (e.g. retrained a checkpoint with --ship), record them: course doctor --update-manifest", details);
        if (unlisted.Count > 0)
            return new(Name, DoctorStatus.Warning, $"{listed} files match; {unlisted.Count} not listed",
                "if they are meant to ship, record them: course doctor --update-manifest", details);
        return new(Name, DoctorStatus.Ok, $"{listed} files match {DataManifest.FileName}");
    }

    public static DoctorResult Checkpoints(DoctorSettings settings)
    {
        const string Name = "Shipped checkpoints";
        string folder = Path.Combine(settings.DataDirectory, "checkpoints");
        var files = Directory.Exists(folder) ? Directory.GetFiles(folder, "*.ckpt").Order(StringComparer.Ordinal).ToList() : [];
        if (files.Count == 0)
            return new(Name, DoctorStatus.Failed, $"no checkpoints in {folder}", "restore them: git checkout -- data/checkpoints");

        ImageDataset? slice = null;
        var details = new List<string>();
        int failed = 0, unrecorded = 0;
        try
        {
            foreach (string file in files)
            {
                string name = Path.GetFileName(file);
                try
                {
                    var (model, info) = Checkpoint.LoadWithInfo(file);
                    using (model)
                    {
                        if (info.TestAccuracy is not { } recorded)
                        {
                            unrecorded++;
                            details.Add($"! {name}: loads ({info.Architecture}); no recorded accuracy to compare with");
                            continue;
                        }
                        if (info.Dataset != "fashion-mnist")
                        {
                            details.Add($"! {name}: loads; accuracy recorded on {info.Dataset}, which the doctor does not evaluate");
                            continue;
                        }
                        slice ??= Slice(settings);
                        double measured = Evaluator.Evaluate(model, slice).Accuracy;
                        double tolerance = Tolerance(recorded, slice.Count);
                        bool ok = Math.Abs(measured - recorded) <= tolerance;
                        if (!ok) failed++;
                        details.Add(string.Create(CultureInfo.InvariantCulture,
                            $"{(ok ? "✔" : "✘")} {name}: {info.Architecture}, recorded {recorded:P2}, measured {measured:P2} on {slice.Count} images (tolerance ±{tolerance:P1})"));
                    }
                }
                catch (Exception e) when (e is InvalidDataException or IOException or CheckpointMismatchException or ArgumentException)
                {
                    failed++;
                    details.Add($"✘ {name}: does not load: {e.Message}");
                }
            }
        }
        finally
        {
            slice?.Dispose();
        }
        string sliceNote = slice is null ? "" : $" on a fixed random slice of {settings.CheckpointSlice} test images (small: a quick check, not the recorded evaluation)";
        if (failed > 0)
            return new(Name, DoctorStatus.Failed, $"{failed} of {files.Count} checkpoints do not load or miss their recorded accuracy{sliceNote}",
                "restore them (git checkout -- data/checkpoints) and check the data checksums above; a checkpoint you retrained records its own accuracy", details);
        return new(Name, unrecorded > 0 ? DoctorStatus.Warning : DoctorStatus.Ok,
            $"{files.Count} checkpoints load and match their recorded accuracy{sliceNote}", null, details);
    }

    /// <summary>Four binomial standard errors of the slice plus half a point (the slice is part of the set the accuracy was recorded on).</summary>
    internal static double Tolerance(double accuracy, int count) => 4 * Math.Sqrt(accuracy * (1 - accuracy) / count) + 0.005;

    private static ImageDataset Slice(DoctorSettings settings)
    {
        using var test = FashionMnist.Load(DataSplit.Test, Path.Combine(settings.DataDirectory, "fashion-mnist"));
        return test.Subset(Math.Min(settings.CheckpointSlice, test.Count), seed: 2026);
    }
}
