using System.Buffers.Binary;
using System.IO.Compression;

using ModelSecurity.IO;

namespace ModelSecurity.Data;

/// <summary>
/// Reads and writes IDX files, the format of MNIST and Fashion-MNIST (http://yann.lecun.com/exdb/mnist/):
/// two zero bytes, a type byte, a dimension-count byte, the sizes as big-endian 32-bit integers, then the data.
/// </summary>
/// <remarks>
/// Reading treats the file as untrusted input: every way it can be malformed (bad magic, unknown type,
/// impossible sizes, truncated or over-long payload, corrupt gzip stream) ends in an
/// <see cref="InvalidDataException"/> whose message names the file, the problem and the remedy.
/// </remarks>
public static class IdxFile
{
    private const int GrowStep = 1 << 26; // 64 MiB: allocate no more than this ahead of the data actually present.

    /// <summary>
    /// Reads an IDX file, gzipped (recognised by its 1F 8B magic, whatever the extension) or raw.
    /// </summary>
    /// <param name="path">Path of the file.</param>
    /// <returns>The element type, dimensions and raw payload.</returns>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not a valid IDX file; the message says why.</exception>
    public static IdxArray Read(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        string full = Path.GetFullPath(path);
        if (!File.Exists(full))
            throw DataErrors.NotFound(full, "IDX file", DataErrors.MissingDataAdvice);

        using var file = new FileStream(full, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        Span<byte> start = stackalloc byte[2];
        int got = file.ReadAtLeast(start, 2, throwOnEndOfStream: false);
        file.Position = 0;
        if (got == 0)
            throw Invalid(full, "the file is empty (0 bytes).");
        bool gzip = got == 2 && start[0] == 0x1F && start[1] == 0x8B;
        if (!gzip)
            return new Reader(file, full, gzip: false, rawLength: file.Length).Read();
        using var unzipped = new GZipStream(file, CompressionMode.Decompress, leaveOpen: true);
        IdxArray array = new Reader(unzipped, full, gzip: true, rawLength: -1).Read();
        CheckGzipTrailer(file, full, 4 + 4L * array.Dimensions.Length + array.Bytes.LongLength);
        return array;
    }

    /// <summary>
    /// The decompressor verifies the gzip trailer (CRC-32 and length) only when it is present: a file cut inside its last
    /// bytes still decompresses completely. So check that the trailer's length field is there and agrees.
    /// (The course's IDX files are single-member gzip files, whose trailer records the whole decompressed length.)
    /// </summary>
    private static void CheckGzipTrailer(FileStream file, string path, long decompressed)
    {
        const int MinimalGzip = 10 + 2 + 8; // header, smallest deflate stream, trailer
        Span<byte> isize = stackalloc byte[4];
        if (file.Length >= MinimalGzip)
        {
            file.Seek(-4, SeekOrigin.End);
            file.ReadExactly(isize);
            if (BinaryPrimitives.ReadUInt32LittleEndian(isize) == (uint)decompressed) return;
        }
        throw Invalid(path, "truncated: the gzip stream ends without its complete trailer (the last 8 bytes, which hold the CRC-32 " +
                            $"and the length {decompressed} of the data), so the file was cut short and its integrity cannot be checked.");
    }

    /// <summary>
    /// Writes a valid IDX file, gzipped or raw. The file is written to a temporary name next to
    /// <paramref name="path"/> and then moved into place, so readers never see half a file.
    /// </summary>
    /// <param name="path">Destination; its folder is created when missing; an existing file is replaced.</param>
    /// <param name="array">What to write.</param>
    /// <param name="gzip">True to gzip the file (as the MNIST downloads are).</param>
    public static void Write(string path, IdxArray array, bool gzip)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(array);
        byte[] header = new byte[4 + 4 * array.Dimensions.Length];
        header[2] = (byte)array.Type;
        header[3] = (byte)array.Dimensions.Length;
        for (int i = 0; i < array.Dimensions.Length; i++)
            BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4 + 4 * i), array.Dimensions[i]);
        AtomicFile.Write(path, file =>
        {
            if (!gzip)
            {
                file.Write(header);
                file.Write(array.Bytes);
                return;
            }
            using var zipped = new GZipStream(file, CompressionLevel.Fastest, leaveOpen: true);
            zipped.Write(header);
            zipped.Write(array.Bytes);
        });
    }

    internal static InvalidDataException Invalid(string path, string problem, Exception? inner = null) =>
        new($"{path}: {problem}{DataErrors.RestoreHint(path)}", inner);

    /// <summary>Parses one IDX stream; all reads go through <see cref="Fill"/>, which turns gzip errors into clear ones.</summary>
    private sealed class Reader(Stream stream, string path, bool gzip, long rawLength)
    {
        private string Holds => gzip ? "the file holds (decompressed)" : "the file holds";

        public IdxArray Read()
        {
            Span<byte> head = stackalloc byte[4];
            int got = Fill(head);
            if (got >= 2 && (head[0] != 0 || head[1] != 0))
                throw Invalid(path, $"not an IDX file: it starts with 0x{head[0]:X2} 0x{head[1]:X2}, but an IDX file starts with " +
                                    $"two zero bytes (a gzipped one with 1F 8B).{Describe(head[..got])}");
            if (got < 4)
                throw Invalid(path, $"truncated: the file ends inside the 4-byte IDX header ({got} bytes).");
            byte typeCode = head[2], rank = head[3];
            if (!Enum.IsDefined((IdxType)typeCode))
                throw Invalid(path, $"unknown IDX type code 0x{typeCode:X2} in the header; known codes are 0x08 (ubyte), 0x09 (sbyte), " +
                                    "0x0B (short), 0x0C (int), 0x0D (float) and 0x0E (double). The file is damaged or not an IDX file.");
            if (rank is < 1 or > IdxArray.MaxDimensions)
                throw Invalid(path, $"the header declares {rank} dimensions; this reader supports 1 to {IdxArray.MaxDimensions}. " +
                                    "The file is damaged or not an IDX file.");
            var type = (IdxType)typeCode;

            byte[] sizeBytes = new byte[4 * rank];
            got = Fill(sizeBytes);
            if (got < sizeBytes.Length)
                throw Invalid(path, $"truncated: the file ends inside the header, after {got} of the {sizeBytes.Length} bytes " +
                                    $"that hold the {rank} dimension sizes.");
            int[] dimensions = new int[rank];
            for (int i = 0; i < rank; i++)
            {
                dimensions[i] = BinaryPrimitives.ReadInt32BigEndian(sizeBytes.AsSpan(4 * i));
                if (dimensions[i] <= 0)
                    throw Invalid(path, $"dimension {i} has size {dimensions[i]} in the header; sizes must be positive. The header is damaged.");
            }
            string shape = string.Join("×", dimensions);
            long payload = IdxArray.PayloadLength(type, dimensions);
            if (payload < 0)
                throw Invalid(path, $"the header's sizes {shape} of {type} add up to more than {Array.MaxLength} bytes, " +
                                    "more than one array can hold. The header is damaged.");

            string what = rank >= 3 ? "pixel data" : rank == 1 ? "label data" : "data";
            long headerLength = 4 + 4L * rank;
            if (rawLength >= 0 && rawLength - headerLength < payload)
                throw Invalid(path, $"truncated: header promises {payload} bytes of {what} ({shape} {type}) but {Holds} {rawLength - headerLength}.");

            byte[] bytes = new byte[Math.Min(payload, GrowStep)];
            long filled = 0;
            while (true)
            {
                int n = Fill(bytes.AsSpan((int)filled));
                filled += n;
                if (filled < bytes.Length)
                    throw Invalid(path, $"truncated: header promises {payload} bytes of {what} ({shape} {type}) but {Holds} {filled}.");
                if (filled == payload) break;
                Array.Resize(ref bytes, (int)Math.Min(payload, bytes.LongLength + GrowStep));
            }

            long extra = rawLength >= 0 ? rawLength - headerLength - payload : CountRest();
            if (extra > 0)
                throw Invalid(path, $"{extra} unexpected bytes after the {payload} bytes of {what} ({shape} {type}) that the header promises. " +
                                    "The file is damaged or was altered.");
            return new IdxArray(type, dimensions, bytes);
        }

        /// <summary>Reads until <paramref name="buffer"/> is full or the stream ends; returns the count read.</summary>
        private int Fill(Span<byte> buffer)
        {
            try
            {
                return stream.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
            }
            catch (InvalidDataException e) when (gzip)
            {
                throw Invalid(path, $"the gzip stream is corrupt: decompression failed (\"{e.Message}\"). The file was damaged in transfer or altered.", e);
            }
        }

        private long CountRest()
        {
            byte[] scratch = new byte[1 << 16];
            long total = 0;
            int n;
            while ((n = Fill(scratch)) > 0) total += n;
            return total;
        }

        private static string Describe(ReadOnlySpan<byte> start)
        {
            if (start.Length >= 1 && start[0] == (byte)'<')
                return " It looks like an HTML or XML page (an error page saved instead of the data?).";
            if (start.Length >= 2 && start[0] == (byte)'P' && start[1] == (byte)'K')
                return " It looks like a ZIP archive; extract it first.";
            return "";
        }
    }
}
