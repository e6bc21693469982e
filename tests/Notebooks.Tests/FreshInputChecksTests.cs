using ModelSecurity.Attacks;
using ModelSecurity.Grading;
using ModelSecurity.Privacy;
using static TorchSharp.torch;

namespace ModelSecurity.Notebooks.Tests;

/// <summary>
/// Issue 19 on chapter checks: an answer that recognises a check's fixed inputs (read from its source) and returns the
/// right result only for them fails, because every check that compares a function also tries inputs the submission cannot
/// predict (<see cref="FreshInputs"/>). The checks run in-process here with the answers as plain delegates, so no notebook runs.
/// </summary>
public class FreshInputChecksTests
{
    /// <summary>A context whose only definition is <paramref name="answer"/>, under <paramref name="name"/>.</summary>
    private sealed class OneAnswer(string exercise, string name, object answer) : IExerciseContext
    {
        public string ExerciseId => exercise;
        public string? CellError => null;
        public bool CellFound => true;

        public T Evaluate<T>(string expression) =>
            expression == name ? (T)answer : throw new ExerciseEvaluationException($"{expression} is not defined");
    }

    private static ExerciseResult Grade(string exercise, string name, object answer) =>
        CheckRegistry.Default.Grade(exercise, new OneAnswer(exercise, name, answer));

    [Fact]
    public void ClippingThatKnowsOnlyTheFixedGradientsFails()
    {
        const string exercise = "05-differential-privacy/clip-per-example";
        Func<IReadOnlyList<Tensor>, double, Tensor[]> right = (g, c) => PerExampleClipping.Clip(g, c);
        // The fixed case of PrivacyChecks: 6 examples, the fifth all zeros. Anything else comes back unclipped.
        Func<IReadOnlyList<Tensor>, double, Tensor[]> fixedOnly = (g, c) =>
            g[0].shape[0] == 6 && g[0][4].abs().sum().item<float>() == 0 ? PerExampleClipping.Clip(g, c) : g.Select(t => t.clone()).ToArray();

        var honest = Grade(exercise, "ClipPerExample", right);
        Assert.True(honest.Passed, honest.Message);
        var hostile = Grade(exercise, "ClipPerExample", fixedOnly);
        Assert.False(hostile.Passed, hostile.Message);
        Assert.Contains("random", hostile.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ProjectionThatKnowsOnlyTheFixedPerturbationsFails()
    {
        const string exercise = "02-pgd-and-cw/project-linf";
        Func<Tensor, double, Tensor> right = (delta, eps) => Perturbations.Project(delta, eps, Norm.LInf);
        // The fixed perturbations of PgdChecks (their fourth example all zeros); anything else comes back as it was.
        Func<Tensor, double, Tensor> fixedOnly = (delta, eps) =>
            delta[3].abs().sum().item<float>() == 0 ? Perturbations.Project(delta, eps, Norm.LInf) : delta.clone();

        var honest = Grade(exercise, "ProjectLinf", right);
        Assert.True(honest.Passed, honest.Message);
        var hostile = Grade(exercise, "ProjectLinf", fixedOnly);
        Assert.False(hostile.Passed, hostile.Message);
        Assert.Contains("random perturbations", hostile.Message, StringComparison.Ordinal);
    }
}
