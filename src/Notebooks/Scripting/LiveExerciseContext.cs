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
        catch (Exception e) when (e is not ExerciseEvaluationException and not InvalidOperationException)
        {
            throw EvaluationFailures.Explain(expression, typeof(T), e,
                $"yet: define {expression} in the exercise cell above and run that cell first (if it shows a compile error, fix that and run it again).");
        }
    }
}
