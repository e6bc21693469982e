namespace ModelSecurity.Grading.Remote;

/// <summary>An <see cref="IExerciseContext"/> whose expressions are evaluated in a submission running in another process.</summary>
internal sealed class RemoteExerciseContext(RemoteSubmission submission, string exerciseId, bool cellFound, string? cellError) : IExerciseContext
{
    public string ExerciseId => exerciseId;

    public bool CellFound => cellFound;

    public string? CellError => cellError;

    public T Evaluate<T>(string expression) => submission.Evaluate<T>(expression);
}
