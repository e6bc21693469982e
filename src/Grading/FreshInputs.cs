using System.Security.Cryptography;

namespace ModelSecurity.Grading;

/// <summary>
/// Inputs a submission cannot predict: checks draw part of their cases from a generator seeded by the operating
/// system's cryptographic generator, so reading a check's source does not let a learner answer only its fixed cases.
/// </summary>
public static class FreshInputs
{
    /// <summary>A <see cref="Random"/> with an unpredictable seed.</summary>
    public static Random NewRandom() => new(RandomNumberGenerator.GetInt32(int.MaxValue));

    /// <summary>An unpredictable seed for a TorchSharp generator.</summary>
    public static ulong NewSeed() => (ulong)RandomNumberGenerator.GetInt32(int.MaxValue);
}
