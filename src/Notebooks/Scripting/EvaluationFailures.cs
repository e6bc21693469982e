using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Scripting;
using ModelSecurity.Grading;

namespace ModelSecurity.Notebooks.Scripting;

/// <summary>
/// Says in a learner's words why a name from their notebook could not be evaluated for a check: not defined, defined
/// with another form than the exercise asks for, or it threw. One wording for the check cell and the grader.
/// </summary>
public static class EvaluationFailures
{
    /// <summary>The exception a check reports for <paramref name="error"/>.</summary>
    /// <param name="expression">What was evaluated (usually the learner's name, e.g. <c>MyFgsm</c>).</param>
    /// <param name="expected">The type the check asked for.</param>
    /// <param name="error">What evaluation threw.</param>
    /// <param name="notDefinedAdvice">Completes "`X` is not defined …" for the host, e.g. where to define it.</param>
    public static ExerciseEvaluationException Explain(string expression, Type expected, Exception error, string notDefinedAdvice)
    {
        ArgumentNullException.ThrowIfNull(error);
        if (error is not CompilationErrorException compilation)
            return new ExerciseEvaluationException($"evaluating `{expression}` failed: {error.GetType().Name}: {error.Message}", error);
        var first = compilation.Diagnostics.FirstOrDefault(d => d.Severity == DiagnosticSeverity.Error);
        string detail = first is null ? compilation.Message : $"{first.Id}: {first.GetMessage()}";
        return new ExerciseEvaluationException(first?.Id == "CS0103"
            ? $"`{expression}` is not defined {notDefinedAdvice}"
            : $"`{expression}` does not have the form the exercise asks for ({Describe(expected)}); keep the signature given in the exercise cell ({detail}).", error);
    }

    private static string Describe(Type type) =>
        typeof(Delegate).IsAssignableFrom(type) && type.GetMethod("Invoke") is { } invoke
            ? $"a method ({string.Join(", ", invoke.GetParameters().Select(p => Short(p.ParameterType)))}) → {Short(invoke.ReturnType)}"
            : Short(type);

    private static string Short(Type type) =>
        type.IsGenericType ? type.Name.Split('`')[0] + "<" + string.Join(", ", type.GetGenericArguments().Select(Short)) + ">" : type.Name;
}
