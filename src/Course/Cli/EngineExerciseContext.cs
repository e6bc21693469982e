using Microsoft.CodeAnalysis.Scripting;
using ModelSecurity.Grading;
using ModelSecurity.Notebooks.Execution;

namespace ModelSecurity.Cli;

/// <summary>An <see cref="IExerciseContext"/> over a notebook engine's final state.</summary>
internal sealed class EngineExerciseContext(NotebookEngine engine, string exerciseId, bool cellFound, string? cellError) : IExerciseContext
{
    public string ExerciseId => exerciseId;

    public bool CellFound => cellFound;

    public string? CellError => cellError;

    public T Evaluate<T>(string expression)
    {
        try
        {
            return engine.EvaluateAsync<T>(expression).GetAwaiter().GetResult();
        }
        catch (CompilationErrorException e)
        {
            var first = e.Diagnostics.FirstOrDefault(d => d.Severity == Microsoft.CodeAnalysis.DiagnosticSeverity.Error);
            string detail = first is null ? e.Message : $"{first.Id}: {first.GetMessage()}";
            throw new ExerciseEvaluationException(first?.Id == "CS0103"
                ? $"`{expression}` is not defined in the notebook (define it in the exercise cell): {detail}"
                : $"`{expression}` does not have the expected form ({typeof(T).Name}): {detail}", e);
        }
        catch (Exception e) when (e is not ExerciseEvaluationException)
        {
            throw new ExerciseEvaluationException($"evaluating `{expression}` failed: {e.GetType().Name}: {e.Message}", e);
        }
    }
}
