using System.Text;
using System.Text.Json;
using ModelSecurity.IO;
using ModelSecurity.Runtime;
using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace ModelSecurity.Models;

/// <summary>
/// Saves and loads trained models as single, self-describing files: the weights together with a
/// <see cref="CheckpointInfo"/> that says which architecture they belong to and how they were made.
/// </summary>
/// <remarks>
/// <para>
/// File layout (format 1): the ASCII line <c>MODELSEC-CKPT\n</c>; the format version (int32, little-endian);
/// the length in bytes (int32, little-endian) of the UTF-8 JSON description that follows; then the weights exactly
/// as TorchSharp's <c>module.save(BinaryWriter)</c> writes them.
/// </para>
/// <para>
/// Loading checks everything before any weight is copied: the header, the description, the layout of the weights
/// (names, types, shapes, lengths) and whether they fit the model. A damaged file gives an
/// <see cref="InvalidDataException"/>, weights for another model a <see cref="CheckpointMismatchException"/>,
/// both naming the file and what is wrong.
/// </para>
/// </remarks>
public static class Checkpoint
{
    /// <summary>The format version this library writes, and the newest it reads.</summary>
    public const int FormatVersion = 1;

    /// <summary>The line every checkpoint starts with.</summary>
    public const string Magic = "MODELSEC-CKPT\n";

    private const int MaxInfoBytes = 16 * 1024 * 1024;
    private static readonly byte[] MagicBytes = Encoding.ASCII.GetBytes(Magic);
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>
    /// Writes <paramref name="model"/>'s weights and <paramref name="info"/> to <paramref name="path"/>, creating the
    /// folder if needed. The file is written under a temporary name in the same folder and then moved into place, so
    /// a failure or crash midway never leaves a half-written checkpoint and never destroys an existing file at
    /// <paramref name="path"/>.
    /// </summary>
    /// <remarks>
    /// The stored description is <paramref name="info"/> with <see cref="CheckpointInfo.LibraryVersion"/> and
    /// <see cref="CheckpointInfo.FormatVersion"/> set to this library's values, since they describe the file written.
    /// </remarks>
    /// <exception cref="ArgumentException">
    /// <paramref name="info"/> does not describe <paramref name="model"/> (architecture or number of classes differ),
    /// a required field is empty, <see cref="CheckpointInfo.TestAccuracy"/> is not a fraction, or the path is a folder.
    /// </exception>
    public static void Save(Module<Tensor, Tensor> model, string path, CheckpointInfo info)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ArgumentNullException.ThrowIfNull(info);
        TorchRuntime.EnsureLoaded();
        string full = Path.GetFullPath(path);
        if (Directory.Exists(full))
            throw new ArgumentException($"'{full}' is a folder; give the checkpoint's file path, e.g. {Path.Combine(full, "model.ckpt")}.", nameof(path));
        CheckDescribes(info, model);

        var stored = info with { LibraryVersion = CheckpointInfo.CurrentLibraryVersion, FormatVersion = FormatVersion };
        byte[] json = JsonSerializer.SerializeToUtf8Bytes(stored, CheckpointInfo.JsonOptions);

        AtomicFile.Write(full, stream =>
        {
            using var writer = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true);
            writer.Write(MagicBytes);
            writer.Write(FormatVersion);
            writer.Write(json.Length);
            writer.Write(json);
            model.save(writer);
            writer.Flush();
        });
    }

    /// <summary>Reads only the description of a checkpoint (fast: the weights are not read).</summary>
    /// <exception cref="FileNotFoundException">There is no file at <paramref name="path"/>.</exception>
    /// <exception cref="InvalidDataException">The file is not a checkpoint, or its header or description is damaged.</exception>
    public static CheckpointInfo ReadInfo(string path)
    {
        using var stream = OpenForReading(path, out string full);
        using var reader = new BinaryReader(stream, Encoding.UTF8);
        return ReadHeader(reader, full);
    }

    /// <summary>
    /// Rebuilds the model a checkpoint holds: creates the architecture its description names (via
    /// <see cref="ModelZoo"/>), loads the weights, moves the model to <paramref name="device"/> and switches it to
    /// eval mode.
    /// </summary>
    /// <param name="path">The checkpoint file.</param>
    /// <param name="device">Where to put the model; null keeps it on the CPU. Pass <c>TorchRuntime.PickDevice()</c> for the course's device.</param>
    /// <exception cref="FileNotFoundException">There is no file at <paramref name="path"/>.</exception>
    /// <exception cref="InvalidDataException">The file is not a checkpoint, is damaged, or names an architecture the zoo cannot build.</exception>
    public static Module<Tensor, Tensor> Load(string path, Device? device = null) => LoadWithInfo(path, device).Model;

    /// <summary>Same as <see cref="Load"/>, also returning the checkpoint's description.</summary>
    /// <exception cref="FileNotFoundException">There is no file at <paramref name="path"/>.</exception>
    /// <exception cref="InvalidDataException">The file is not a checkpoint, is damaged, or names an architecture the zoo cannot build.</exception>
    public static (Module<Tensor, Tensor> Model, CheckpointInfo Info) LoadWithInfo(string path, Device? device = null)
    {
        TorchRuntime.EnsureLoaded();
        using var stream = OpenForReading(path, out string full);
        using var reader = new BinaryReader(stream, Encoding.UTF8);
        CheckpointInfo info = ReadHeader(reader, full);
        long weightsStart = stream.Position;
        var layout = Index(SerializedState.ReadLayout(reader, full), full);
        if (!ModelZoo.Architectures.Contains(info.Architecture))
            throw SerializedState.Invalid(full,
                $"holds a '{info.Architecture}', which ModelZoo cannot build (it knows {ModelZoo.KnownList()}); " +
                "create that model yourself and use Checkpoint.LoadInto");
        if (info.NumClasses < 2)
            throw SerializedState.Invalid(full, $"is corrupt: its description says {info.NumClasses} classes");

        var model = ModelZoo.CreateFor(info.Architecture, info.NumClasses, layout.ToDictionary(e => e.Key, e => e.Value.Shape));
        try
        {
            try
            {
                CheckFits(model, info, layout, full);
            }
            catch (CheckpointMismatchException e) // the model was built from the file's own description
            {
                throw SerializedState.Invalid(full, $"is corrupt: its weights do not match its own description. {e.Message}", e);
            }
            stream.Position = weightsStart;
            model.load(reader, strict: true);
            if (device is not null) model.to(device);
            model.eval();
            return (model, info);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Loads a checkpoint's weights into an existing model of the same architecture and sizes. The model keeps its
    /// device and its training/eval mode.
    /// </summary>
    /// <exception cref="FileNotFoundException">There is no file at <paramref name="path"/>.</exception>
    /// <exception cref="InvalidDataException">The file is not a checkpoint or is damaged.</exception>
    /// <exception cref="CheckpointMismatchException">
    /// The checkpoint holds another architecture, or the same one with other sizes; the message names the parameter and both shapes.
    /// </exception>
    public static void LoadInto(Module<Tensor, Tensor> model, string path)
    {
        ArgumentNullException.ThrowIfNull(model);
        TorchRuntime.EnsureLoaded();
        using var stream = OpenForReading(path, out string full);
        using var reader = new BinaryReader(stream, Encoding.UTF8);
        CheckpointInfo info = ReadHeader(reader, full);
        long weightsStart = stream.Position;
        var layout = Index(SerializedState.ReadLayout(reader, full), full); // a damaged file is reported as such first

        string? architecture = ModelZoo.TryArchitectureOf(model);
        if (architecture is not null ? architecture != info.Architecture : ModelZoo.Architectures.Contains(info.Architecture))
            throw new CheckpointMismatchException(
                $"Checkpoint '{full}' holds a '{info.Architecture}' but the model is a '{architecture ?? model.GetType().Name}'. " +
                "Use Checkpoint.Load(path), which builds the architecture the checkpoint names.");
        CheckFits(model, info, layout, full);
        stream.Position = weightsStart;
        model.load(reader, strict: true);
    }

    private static FileStream OpenForReading(string path, out string full)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        full = Path.GetFullPath(path);
        if (!File.Exists(full))
            throw new FileNotFoundException(
                Directory.Exists(full) ? $"'{full}' is a folder, not a checkpoint file." : $"There is no checkpoint file at '{full}'.",
                full);
        return new FileStream(full, FileMode.Open, FileAccess.Read, FileShare.Read);
    }

    /// <summary>Reads and checks the header and description, leaving the reader at the start of the weights.</summary>
    private static CheckpointInfo ReadHeader(BinaryReader reader, string path)
    {
        Stream stream = reader.BaseStream;
        byte[] start = reader.ReadBytes(MagicBytes.Length);
        if (!start.AsSpan().SequenceEqual(MagicBytes))
        {
            if (start.Length < MagicBytes.Length && MagicBytes.AsSpan().StartsWith(start))
                throw SerializedState.Invalid(path, $"is truncated: it is only {start.Length} bytes long and ends inside the MODELSEC-CKPT header");
            throw new InvalidDataException(
                $"File '{path}' is not a model-security checkpoint: it does not start with MODELSEC-CKPT. Checkpoint.Save " +
                "writes such files; weights saved by TorchSharp's module.save(path) alone load with module.load(path).");
        }

        if (stream.Length - stream.Position < 2 * sizeof(int))
            throw SerializedState.Invalid(path, "is truncated: it ends inside its header");
        int version = reader.ReadInt32();
        if (version < 1)
            throw SerializedState.Invalid(path, $"is corrupt: its header gives format version {version}");
        if (version > FormatVersion)
            throw SerializedState.Invalid(path,
                $"uses checkpoint format {version}, but this library reads format {FormatVersion} at most; update the course helpers");

        int length = reader.ReadInt32();
        long remaining = stream.Length - stream.Position;
        if (length <= 0 || length > MaxInfoBytes)
            throw SerializedState.Invalid(path, $"is corrupt: its header gives the description a length of {length} bytes");
        if (length > remaining)
            throw SerializedState.Invalid(path, $"is truncated: its description needs {length} bytes but only {remaining} remain");

        byte[] json = reader.ReadBytes(length);
        CheckpointInfo? info;
        try
        {
            info = JsonSerializer.Deserialize<CheckpointInfo>(StrictUtf8.GetString(json), CheckpointInfo.JsonOptions);
        }
        catch (DecoderFallbackException e)
        {
            throw SerializedState.Invalid(path, "is corrupt: its description is not UTF-8 text", e);
        }
        catch (JsonException e)
        {
            throw SerializedState.Invalid(path, $"is corrupt: its description (JSON) cannot be read: {e.Message}", e);
        }

        if (info is null)
            throw SerializedState.Invalid(path, "is corrupt: its description is empty (null)");
        if (string.IsNullOrWhiteSpace(info.Architecture))
            throw SerializedState.Invalid(path, "is corrupt: its description names no architecture");
        if (info.FormatVersion != version)
            throw SerializedState.Invalid(path, $"is corrupt: its header says format {version} but its description says {info.FormatVersion}");
        return info;
    }

    private static Dictionary<string, SerializedState.Entry> Index(IReadOnlyList<SerializedState.Entry> entries, string path)
    {
        var byName = new Dictionary<string, SerializedState.Entry>(StringComparer.Ordinal);
        foreach (var entry in entries)
            if (!byName.TryAdd(entry.Name, entry))
                throw SerializedState.Invalid(path, $"is corrupt: its weights hold '{entry.Name}' twice");
        return byName;
    }

    /// <summary>Compares the stored weights' names, types and shapes with the model's, before anything is loaded.</summary>
    private static void CheckFits(Module<Tensor, Tensor> model, CheckpointInfo info, Dictionary<string, SerializedState.Entry> stored, string path)
    {
        string context = $" (checkpoint: '{info.Architecture}' with {info.NumClasses} classes; model: {Summary(model)})";
        Dictionary<string, Tensor> expected = model.state_dict();
        foreach (var (name, tensor) in expected)
        {
            if (!stored.TryGetValue(name, out var entry))
                throw new CheckpointMismatchException($"Checkpoint '{path}' does not fit the model: it has no '{name}', which the model has{context}.");
            if (entry.DType != tensor.dtype)
                throw new CheckpointMismatchException(
                    $"Checkpoint '{path}' does not fit the model: '{name}' is {entry.DType} in the checkpoint but {tensor.dtype} in the model{context}.");
            if (!entry.Shape.SequenceEqual(tensor.shape))
                throw new CheckpointMismatchException(
                    $"Checkpoint '{path}' does not fit the model: parameter '{name}' has shape {ImageInput.Format(entry.Shape)} " +
                    $"in the checkpoint but {ImageInput.Format(tensor.shape)} in the model{context}.");
        }
        foreach (string name in stored.Keys.Where(n => !expected.ContainsKey(n)))
            throw new CheckpointMismatchException($"Checkpoint '{path}' does not fit the model: it has '{name}', which the model lacks{context}.");
    }

    private static void CheckDescribes(CheckpointInfo info, Module<Tensor, Tensor> model)
    {
        if (string.IsNullOrWhiteSpace(info.Architecture))
            throw new ArgumentException("CheckpointInfo.Architecture is empty; set it to ModelZoo.ArchitectureOf(model).", nameof(info));
        if (string.IsNullOrWhiteSpace(info.Dataset))
            throw new ArgumentException("CheckpointInfo.Dataset is empty; say what the model was trained on, e.g. \"mnist\".", nameof(info));
        string? architecture = ModelZoo.TryArchitectureOf(model);
        if (architecture is not null && architecture != info.Architecture)
            throw new ArgumentException(
                $"The info says architecture '{info.Architecture}' but the model is a '{architecture}'; set Architecture = ModelZoo.ArchitectureOf(model).",
                nameof(info));
        if (architecture is null && ModelZoo.Architectures.Contains(info.Architecture))
            throw new ArgumentException(
                $"The info says architecture '{info.Architecture}' but the model is a {model.GetType().Name}, not the zoo's '{info.Architecture}'.",
                nameof(info));
        int? classes = ModelZoo.TryNumClassesOf(model);
        if (classes is not null && classes != info.NumClasses)
            throw new ArgumentException($"The info says {info.NumClasses} classes but the model has {classes}.", nameof(info));
        if (info.NumClasses < 1)
            throw new ArgumentException($"The info says {info.NumClasses} classes.", nameof(info));
        if (info.TestAccuracy is double accuracy && !(accuracy >= 0 && accuracy <= 1))
            throw new ArgumentException(
                $"TestAccuracy must be a fraction in [0, 1] (e.g. 0.987, not 98.7); got {accuracy}.", nameof(info));
    }

    private static string Summary(Module<Tensor, Tensor> model) =>
        ModelZoo.TryArchitectureOf(model) is string architecture
            ? $"'{architecture}' with {ModelZoo.TryNumClassesOf(model)} classes"
            : model.GetType().Name;
}
