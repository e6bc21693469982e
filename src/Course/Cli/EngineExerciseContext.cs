using ModelSecurity.Grading;
using ModelSecurity.Notebooks.Execution;
using ModelSecurity.Notebooks.Scripting;

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
        catch (Exception e) when (e is not ExerciseEvaluationException)
        {
            throw EvaluationFailures.Explain(expression, typeof(T), e, "in the notebook: define it in the exercise cell.");
        }
    }
}
