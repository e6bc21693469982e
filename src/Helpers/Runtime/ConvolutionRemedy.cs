namespace ModelSecurity.Runtime;

/// <summary>
/// An alternative convolution path the <see cref="NumericsGuard"/> switches to when the self-test fails.
/// </summary>
/// <param name="Name">Its name as reported, e.g. "libtorch native convolution (oneDNN off)".</param>
/// <param name="Apply">Switches to it; returns null on success, otherwise why it could not be applied.</param>
/// <param name="Undo">Switches back (used when the path did not correct the fault either).</param>
/// <param name="MeasureCost">
/// Optional: measures, side by side, what the path costs compared with the default, e.g. "2.1× slower (…)".
/// Called once, after a successful switch.
/// </param>
public sealed record ConvolutionRemedy(string Name, Func<string?> Apply, Action Undo, Func<string>? MeasureCost = null);
