namespace ModelSecurity.Privacy;

/// <summary>
/// A run of DP-SGD steps with the same noise multiplier and sample rate: exactly what a privacy accountant
/// consumes (e.g. an accountant's <c>Step(noiseMultiplier, sampleRate, steps)</c>).
/// </summary>
/// <param name="NoiseMultiplier">σ.</param>
/// <param name="SampleRate">q.</param>
/// <param name="Steps">How many steps were taken with them.</param>
public sealed record PrivacyStepRecord(double NoiseMultiplier, double SampleRate, int Steps);
