using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace ModelSecurity.Grading;

/// <summary>What a grading worker reports: the notebook and one result per exercise.</summary>
/// <param name="Notebook">Full path of the graded notebook.</param>
/// <param name="Nonce">The value the parent passed to this worker run (binds the report to the run).</param>
/// <param name="Results">One result per exercise.</param>
public sealed record GradeReport(string Notebook, string Nonce, IReadOnlyList<ExerciseResult> Results);

/// <summary>The report is missing, malformed or not signed with this run's key.</summary>
public sealed class GradeSignatureException(string message) : Exception(message);

/// <summary>
/// HMAC-SHA256 signing of <see cref="GradeReport"/>s. The parent draws a random key per worker run and sends it on
/// the worker's standard input before any notebook code runs; the worker signs its report with it. Text a notebook
/// prints, or a report file it writes, cannot carry a valid signature without the key.
/// </summary>
public static class SignedResults
{
    /// <summary>Key length in bytes.</summary>
    public const int KeyBytes = 32;

    /// <summary>A fresh random key.</summary>
    public static byte[] NewKey() => RandomNumberGenerator.GetBytes(KeyBytes);

    /// <summary>The signed envelope: <c>{"payload": base64(json), "hmac": hex}</c>.</summary>
    public static string Sign(ReadOnlySpan<byte> key, GradeReport report)
    {
        byte[] payload = JsonSerializer.SerializeToUtf8Bytes(report);
        byte[] mac = HMACSHA256.HashData(key, payload);
        return JsonSerializer.Serialize(new Envelope(Convert.ToBase64String(payload), Convert.ToHexStringLower(mac)));
    }

    /// <summary>Checks the envelope's signature and nonce and returns the report.</summary>
    /// <exception cref="GradeSignatureException">Malformed, wrong signature, or another run's report.</exception>
    public static GradeReport Verify(ReadOnlySpan<byte> key, string envelopeText, string expectedNonce)
    {
        Envelope? envelope;
        try
        {
            envelope = JsonSerializer.Deserialize<Envelope>(envelopeText);
        }
        catch (JsonException)
        {
            throw new GradeSignatureException("the grading report is not valid JSON");
        }
        if (envelope?.Payload is null || envelope.Hmac is null) throw new GradeSignatureException("the grading report is incomplete");
        byte[] payload, mac;
        try
        {
            payload = Convert.FromBase64String(envelope.Payload);
            mac = Convert.FromHexString(envelope.Hmac);
        }
        catch (FormatException)
        {
            throw new GradeSignatureException("the grading report is malformed");
        }
        if (!CryptographicOperations.FixedTimeEquals(HMACSHA256.HashData(key, payload), mac))
            throw new GradeSignatureException("the grading report's signature is invalid (it was not written by this grading run)");
        GradeReport? report;
        try
        {
            report = JsonSerializer.Deserialize<GradeReport>(payload);
        }
        catch (JsonException)
        {
            throw new GradeSignatureException("the signed grading report cannot be read");
        }
        if (report is null || report.Nonce != expectedNonce) throw new GradeSignatureException("the grading report belongs to another run");
        return report;
    }

    /// <summary>Encodes a key for the worker's standard input.</summary>
    public static string EncodeKey(byte[] key) => Convert.ToBase64String(key);

    /// <summary>Decodes a key line.</summary>
    public static byte[] DecodeKey(string line)
    {
        byte[] key = Convert.FromBase64String(line.Trim());
        if (key.Length != KeyBytes) throw new FormatException($"expected a {KeyBytes}-byte key");
        return key;
    }

    private sealed record Envelope(string? Payload, string? Hmac);

    /// <summary>UTF-8 without BOM, for report files.</summary>
    public static Encoding FileEncoding { get; } = new UTF8Encoding(false);
}
