using System.Globalization;

namespace ModelSecurity.Grading.Toy;

/// <summary>
/// A tiny exercise set used by the engine's tests and as an example for chapter checks:
/// <c>toy/square</c> (<c>double Square(double x)</c>), <c>toy/clip</c> (<c>float[] ClipLinf(float[] delta, float epsilon)</c>,
/// the projection onto the L∞ ball of radius epsilon) and <c>toy/argmax</c> (<c>int ArgMax(float[] scores)</c>).
/// </summary>
internal static class ToyChecks
{
    [ExerciseCheck("toy", "square")]
    private static CheckResult Square(IExerciseContext ctx)
    {
        var square = ctx.Evaluate<Func<double, double>>("Square");
        var random = FreshInputs.NewRandom();
        // The fixed cases give readable messages; the random ones cannot be known in advance (no answering by table).
        foreach (double x in new[] { 3.0, -2.5, 0.0, 1e3, 0.1 }.Concat(Enumerable.Range(0, 20).Select(_ => Math.Round((random.NextDouble() - 0.5) * 200, 3))))
        {
            double got = square(x), expected = x * x;
            if (Math.Abs(got - expected) > 1e-9 * Math.Max(1, Math.Abs(expected)))
                return CheckResult.Fail($"Square({F(x)}) returned {F(got)}, expected {F(expected)}.");
        }
        return CheckResult.Pass("Square is right on 25 inputs (20 of them random), negative ones included");
    }

    [ExerciseCheck("toy", "clip")]
    private static CheckResult Clip(IExerciseContext ctx)
    {
        var clip = ctx.Evaluate<Func<float[], float, float[]>>("ClipLinf");
        var random = FreshInputs.NewRandom();
        for (int trial = 0; trial < 20; trial++)
        {
            float epsilon = trial == 0 ? 0f : (float)random.NextDouble() * 0.5f;
            var delta = Enumerable.Range(0, 16).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
            var copy = (float[])delta.Clone();
            var result = clip(delta, epsilon);
            if (result is null) return CheckResult.Fail("ClipLinf returned null; return a new array.");
            if (result.Length != delta.Length)
                return CheckResult.Fail($"ClipLinf returned {result.Length} values for an input of {delta.Length}.");
            for (int i = 0; i < delta.Length; i++)
            {
                float expected = Math.Clamp(copy[i], -epsilon, epsilon);
                if (Math.Abs(result[i] - expected) > 1e-6f)
                    return CheckResult.Fail(
                        $"ClipLinf(delta, {F(epsilon)}): element {i} is {F(result[i])}, expected {F(expected)} " +
                        $"(delta[{i}] = {F(copy[i])}; each element must lie in [-epsilon, epsilon]).");
            }
        }
        return CheckResult.Pass("ClipLinf keeps every element in [-ε, ε] on 20 random inputs");
    }

    [ExerciseCheck("toy", "argmax")]
    private static CheckResult ArgMax(IExerciseContext ctx)
    {
        var argmax = ctx.Evaluate<Func<float[], int>>("ArgMax");
        var cases = new (float[] Scores, int Expected)[]
        {
            ([0.1f, 0.7f, 0.2f], 1), ([5f], 0), ([-3f, -1f, -2f], 1), ([1f, 3f, 3f], 1), ([2f, 1f, 0f, -1f], 0),
        }.ToList();
        var random = FreshInputs.NewRandom();
        for (int trial = 0; trial < 20; trial++)
        {
            // Few distinct values, so that ties (the first index wins) are common.
            var scores = Enumerable.Range(0, random.Next(1, 12)).Select(_ => (float)random.Next(-4, 5)).ToArray();
            cases.Add((scores, Array.IndexOf(scores, scores.Max())));
        }
        foreach (var (scores, expected) in cases)
        {
            int got = argmax(scores);
            if (got != expected)
                return CheckResult.Fail($"ArgMax([{string.Join(", ", scores.Select(s => F(s)))}]) returned {got}, expected {expected} (first index of the largest value).");
        }
        return CheckResult.Pass("ArgMax is right on 25 cases (20 of them random), ties and negatives included");
    }

    private static string F(double value) => value.ToString("G6", CultureInfo.InvariantCulture);
}
