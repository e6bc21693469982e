using static TorchSharp.torch;

namespace ModelSecurity.Models;

/// <summary>
/// Reads the layout of the weights TorchSharp writes with <c>module.save(BinaryWriter)</c> — names, element types
/// and shapes — without loading any tensor, so a checkpoint can be checked against a model before a single byte
/// reaches native code.
/// </summary>
/// <remarks>
/// TorchSharp's format (0.107): LEB128 entry count; per entry a BinaryWriter string (the name), LEB128 element type
/// (<see cref="ScalarType"/>), LEB128 rank, LEB128 sizes, then the raw little-endian elements.
/// </remarks>
internal static class SerializedState
{
    /// <summary>One tensor of a saved state dictionary.</summary>
    public sealed record Entry(string Name, ScalarType DType, long[] Shape);

    private const long MaxEntries = 1_000_000;
    private const long MaxRank = 64;

    /// <summary>
    /// Reads the entries from the reader's position to the end of the stream; throws an
    /// <see cref="InvalidDataException"/> naming <paramref name="path"/> when the bytes do not form a complete state.
    /// </summary>
    public static IReadOnlyList<Entry> ReadLayout(BinaryReader reader, string path)
    {
        Stream stream = reader.BaseStream;
        var entries = new List<Entry>();
        try
        {
            long count = ReadLeb128(reader, path);
            if (count > MaxEntries)
                throw Invalid(path, $"is corrupt: the weights claim {count} tensors");
            for (long i = 0; i < count; i++)
            {
                string name = reader.ReadString();
                long type = ReadLeb128(reader, path);
                int elementSize = ElementSize(type)
                                  ?? throw Invalid(path, $"is corrupt: tensor '{name}' has an unknown element type code {type}");
                long rank = ReadLeb128(reader, path);
                if (rank > MaxRank) throw Invalid(path, $"is corrupt: tensor '{name}' claims {rank} dimensions");
                var shape = new long[rank];
                long bytes = elementSize;
                for (int d = 0; d < rank; d++)
                {
                    shape[d] = ReadLeb128(reader, path);
                    bytes = checked(bytes * shape[d]);
                }

                long remaining = stream.Length - stream.Position;
                if (bytes > remaining)
                    throw Invalid(path, $"is truncated: tensor '{name}' {ImageInput.Format(shape)} needs {bytes} bytes " +
                                        $"but only {remaining} remain");
                stream.Seek(bytes, SeekOrigin.Current);
                entries.Add(new Entry(name, (ScalarType)type, shape));
            }
        }
        catch (EndOfStreamException e)
        {
            throw Invalid(path, "is truncated: it ends in the middle of the weights", e);
        }
        catch (OverflowException e)
        {
            throw Invalid(path, "is corrupt: a tensor in the weights has an impossible size", e);
        }
        catch (FormatException e) // BinaryReader.ReadString on a bad length prefix
        {
            throw Invalid(path, "is corrupt: a tensor name in the weights is unreadable", e);
        }

        long extra = stream.Length - stream.Position;
        if (extra != 0)
            throw Invalid(path, $"is corrupt: {extra} unexpected bytes follow the weights");
        return entries;
    }

    private static long ReadLeb128(BinaryReader reader, string path)
    {
        long result = 0;
        for (int shift = 0; ; shift += 7)
        {
            if (shift > 56) throw Invalid(path, "is corrupt: a length in the weights is malformed");
            byte b = reader.ReadByte();
            result |= (long)(b & 0x7f) << shift;
            if ((b & 0x80) == 0) return result;
        }
    }

    private static int? ElementSize(long type) => (ScalarType)type switch
    {
        ScalarType.Byte or ScalarType.Int8 or ScalarType.Bool => 1,
        ScalarType.Int16 or ScalarType.Float16 or ScalarType.BFloat16 => 2,
        ScalarType.Int32 or ScalarType.Float32 => 4,
        ScalarType.Int64 or ScalarType.Float64 or ScalarType.ComplexFloat32 => 8,
        ScalarType.ComplexFloat64 => 16,
        _ => null,
    };

    /// <summary>"Checkpoint '<paramref name="path"/>' <paramref name="predicate"/>."</summary>
    internal static InvalidDataException Invalid(string path, string predicate, Exception? inner = null) =>
        new($"Checkpoint '{path}' {predicate}.", inner);
}
