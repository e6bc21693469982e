using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Scripting;
using ModelSecurity.Grading;
using ModelSecurity.Notebooks.Execution;

namespace ModelSecurity.Notebooks.Scripting;

/// <summary>
/// An <see cref="IExerciseContext"/> over the notebook's current state, for a check cell: expressions are evaluated from
/// the state before the running cell (every cell run so far), without disturbing it.
/// </summary>
internal sealed class LiveExerciseContext(NotebookEngine engine, string exerciseId) : IExerciseContext
{
    public string ExerciseId => exerciseId;

    // The kernel does not see cells' tags: the learner ran the check, so the exercise cell is taken to be there.
    public bool CellFound => true;

    public string? CellError => null;

    public T Evaluate<T>(string expression)
    {
        try
        {
            return engine.EvaluateFromRunningCell<T>(expression);
        }
        catch (CompilationErrorException e)
        {
            var first = e.Diagnostics.FirstOrDefault(d => d.Severity == DiagnosticSeverity.Error);
            string detail = first is null ? e.Message : $"{first.Id}: {first.GetMessage()}";
            throw new ExerciseEvaluationException(first?.Id == "CS0103"
                ? $"`{expression}` is not defined yet: define {expression} in the exercise cell above and run that cell first " +
                  "(if it shows a compile error, fix that and run it again)."
                : $"`{expression}` does not have the form the exercise asks for ({Describe(typeof(T))}); keep the signature given in the exercise cell ({detail}).", e);
        }
        catch (Exception e) when (e is not ExerciseEvaluationException and not InvalidOperationException)
        {
            throw new ExerciseEvaluationException($"evaluating `{expression}` failed: {e.GetType().Name}: {e.Message}", e);
        }
    }

    private static string Describe(Type type) =>
        typeof(Delegate).IsAssignableFrom(type) && type.GetMethod("Invoke") is { } invoke
            ? $"a method ({string.Join(", ", invoke.GetParameters().Select(p => Short(p.ParameterType)))}) → {Short(invoke.ReturnType)}"
            : Short(type);

    private static string Short(Type type) =>
        type.IsGenericType ? type.Name.Split('`')[0] + "<" + string.Join(", ", type.GetGenericArguments().Select(Short)) + ">" : type.Name;
}
