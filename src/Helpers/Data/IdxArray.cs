namespace ModelSecurity.Data;

/// <summary>
/// The contents of one IDX file: its element type, its dimensions and its raw payload.
/// </summary>
/// <remarks>
/// <see cref="Bytes"/> is the payload exactly as stored in the file (row-major, big-endian for multi-byte
/// types). For <see cref="IdxType.UByte"/> that is simply the values.
/// </remarks>
public sealed class IdxArray
{
    /// <summary>Largest number of dimensions the course's reader and writer accept.</summary>
    public const int MaxDimensions = 4;

    /// <summary>
    /// Wraps a payload, checking that it matches the dimensions.
    /// </summary>
    /// <param name="type">Element type.</param>
    /// <param name="dimensions">Sizes, outermost first; 1 to <see cref="MaxDimensions"/> positive values.</param>
    /// <param name="bytes">Raw payload in file order (big-endian for multi-byte types).</param>
    /// <exception cref="ArgumentException">The type is unknown, the dimensions are invalid, or the payload length does not match.</exception>
    public IdxArray(IdxType type, int[] dimensions, byte[] bytes)
    {
        ArgumentNullException.ThrowIfNull(dimensions);
        ArgumentNullException.ThrowIfNull(bytes);
        if (!Enum.IsDefined(type))
            throw new ArgumentException($"IDX type code 0x{(byte)type:X2} is not one of 0x08, 0x09, 0x0B, 0x0C, 0x0D, 0x0E.", nameof(type));
        if (dimensions.Length is < 1 or > MaxDimensions)
            throw new ArgumentException($"An IDX array has 1 to {MaxDimensions} dimensions, not {dimensions.Length}.", nameof(dimensions));
        if (dimensions.Any(d => d <= 0))
            throw new ArgumentException($"IDX dimensions must be positive, got [{string.Join(", ", dimensions)}].", nameof(dimensions));
        long expected = PayloadLength(type, dimensions);
        if (expected < 0)
            throw new ArgumentException(
                $"Dimensions [{string.Join(", ", dimensions)}] of {type} are too large for one array (more than {Array.MaxLength} bytes).", nameof(dimensions));
        if (bytes.LongLength != expected)
            throw new ArgumentException(
                $"Dimensions [{string.Join(", ", dimensions)}] of {type} need {expected} bytes, but {bytes.LongLength} were given.", nameof(bytes));
        Type = type;
        Dimensions = (int[])dimensions.Clone();
        Bytes = bytes;
    }

    /// <summary>Element type.</summary>
    public IdxType Type { get; }

    /// <summary>Sizes of the dimensions, outermost first (MNIST images: count, rows, columns).</summary>
    public int[] Dimensions { get; }

    /// <summary>Raw payload in file order (big-endian for multi-byte types; for <see cref="IdxType.UByte"/>, the values).</summary>
    public byte[] Bytes { get; }

    /// <summary>Number of elements (product of the dimensions).</summary>
    public long ElementCount => Dimensions.Aggregate(1L, (p, d) => p * d);

    /// <summary>Size in bytes of one element of <paramref name="type"/>.</summary>
    /// <exception cref="ArgumentException">The type is unknown.</exception>
    public static int ElementSize(IdxType type) => type switch
    {
        IdxType.UByte or IdxType.SByte => 1,
        IdxType.Int16 => 2,
        IdxType.Int32 or IdxType.Float32 => 4,
        IdxType.Float64 => 8,
        _ => throw new ArgumentException($"IDX type code 0x{(byte)type:X2} is unknown.", nameof(type)),
    };

    /// <summary>
    /// Payload length in bytes for the given type and dimensions, or -1 when it exceeds what an array can hold.
    /// </summary>
    internal static long PayloadLength(IdxType type, IReadOnlyList<int> dimensions)
    {
        long length = ElementSize(type);
        foreach (int d in dimensions)
        {
            if (d <= 0) return -1;
            try { length = checked(length * d); }
            catch (OverflowException) { return -1; }
            if (length > Array.MaxLength) return -1;
        }
        return length;
    }
}
