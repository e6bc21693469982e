namespace ModelSecurity.Data;

/// <summary>
/// Element type of an IDX file, as stored in its third header byte
/// (format of the MNIST files, http://yann.lecun.com/exdb/mnist/).
/// </summary>
public enum IdxType : byte
{
    /// <summary>Unsigned byte (0x08), one byte per element. MNIST pixels and labels use it.</summary>
    UByte = 0x08,

    /// <summary>Signed byte (0x09), one byte per element.</summary>
    SByte = 0x09,

    /// <summary>Big-endian signed 16-bit integer (0x0B).</summary>
    Int16 = 0x0B,

    /// <summary>Big-endian signed 32-bit integer (0x0C).</summary>
    Int32 = 0x0C,

    /// <summary>Big-endian IEEE 754 single-precision float (0x0D).</summary>
    Float32 = 0x0D,

    /// <summary>Big-endian IEEE 754 double-precision float (0x0E).</summary>
    Float64 = 0x0E,
}
