using ModelSecurity.Grading;

namespace ModelSecurity.Notebooks.Tests.Judgement;

/// <summary>
/// A context whose only definition is <paramref name="answer"/> under <paramref name="name"/>: drives a chapter check
/// in-process with a learner's answer as a plain delegate, so no notebook runs.
/// </summary>
internal sealed class SingleAnswerContext(string exercise, string name, object answer) : IExerciseContext
{
    public string ExerciseId => exercise;
    public string? CellError => null;
    public bool CellFound => true;

    public T Evaluate<T>(string expression) =>
        expression == name ? (T)answer : throw new ExerciseEvaluationException($"{expression} is not defined");

    /// <summary>Grades <paramref name="exercise"/> with <paramref name="answer"/> as the learner's <paramref name="name"/>.</summary>
    public static ExerciseResult Grade(string exercise, string name, object answer) =>
        CheckRegistry.Default.Grade(exercise, new SingleAnswerContext(exercise, name, answer));
}
