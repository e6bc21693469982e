using System.Reflection;

namespace ModelSecurity.Grading;

/// <summary>
/// The exercise checks found in trusted assemblies (never in notebook code): static methods marked with
/// <see cref="ExerciseCheckAttribute"/>.
/// </summary>
public sealed class CheckRegistry
{
    private readonly Dictionary<string, List<ExerciseCheck>> _checks = new(StringComparer.Ordinal);

    /// <summary>Checks of this assembly (the course's exercise sets).</summary>
    public static CheckRegistry Default { get; } = FromAssemblies(typeof(CheckRegistry).Assembly);

    /// <summary>Scans assemblies for checks.</summary>
    /// <exception cref="InvalidOperationException">A marked method has the wrong signature.</exception>
    public static CheckRegistry FromAssemblies(params Assembly[] assemblies)
    {
        var registry = new CheckRegistry();
        foreach (var type in assemblies.SelectMany(a => a.GetTypes()))
            foreach (var method in type.GetMethods(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static | BindingFlags.Instance | BindingFlags.DeclaredOnly))
                foreach (var attribute in method.GetCustomAttributes<ExerciseCheckAttribute>())
                {
                    var parameters = method.GetParameters();
                    if (!method.IsStatic || method.ReturnType != typeof(CheckResult) || parameters.Length != 1
                        || parameters[0].ParameterType != typeof(IExerciseContext))
                        throw new InvalidOperationException(
                            $"{type.FullName}.{method.Name}: an [ExerciseCheck] method must be 'static CheckResult {method.Name}(IExerciseContext ctx)'.");
                    if (!registry._checks.TryGetValue(attribute.Id, out var list)) registry._checks[attribute.Id] = list = [];
                    list.Add(new ExerciseCheck(attribute.Id, method, attribute.Order));
                }
        foreach (var list in registry._checks.Values)
            list.Sort((a, b) => a.Order != b.Order ? a.Order.CompareTo(b.Order) : string.CompareOrdinal(a.Name, b.Name));
        return registry;
    }

    /// <summary>Every exercise id, sorted.</summary>
    public IReadOnlyList<string> Exercises => _checks.Keys.Order(StringComparer.Ordinal).ToList();

    /// <summary>The exercises of a set, sorted.</summary>
    public IReadOnlyList<string> ExercisesInSet(string set) =>
        Exercises.Where(id => id.StartsWith(set + "/", StringComparison.Ordinal)).ToList();

    /// <summary>The checks of an exercise (empty when unknown).</summary>
    public IReadOnlyList<ExerciseCheck> ChecksFor(string exerciseId) =>
        _checks.TryGetValue(exerciseId, out var list) ? list : [];

    /// <summary>Runs every check of an exercise; a check that throws counts as failed.</summary>
    /// <exception cref="Remote.SubmissionUnavailableException">The submission (in another process) stopped answering.</exception>
    public ExerciseResult Grade(string exerciseId, IExerciseContext context)
    {
        using var quiet = Runtime.Progress.Use(Runtime.Progress.Silent); // a check shows its verdict, not the progress of the library calls it makes
        var checks = ChecksFor(exerciseId);
        if (checks.Count == 0) return new ExerciseResult(exerciseId, false, $"no checks are registered for exercise '{exerciseId}'");
        if (!context.CellFound)
            return new ExerciseResult(exerciseId, false, $"no cell tagged 'exercise' with metadata course.exercise = \"{exerciseId}\" in the notebook");
        var passed = new List<string>();
        foreach (var check in checks)
        {
            CheckResult result;
            try
            {
                result = (CheckResult)check.Method.Invoke(null, [context])!;
            }
            catch (TargetInvocationException e) when (e.InnerException is Remote.SubmissionUnavailableException unavailable)
            {
                // The submission's process cannot answer (a call timed out, it ended): the grader decides, not the check.
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(unavailable);
                throw;
            }
            catch (TargetInvocationException e) when (e.InnerException is ExerciseEvaluationException evaluation)
            {
                result = CheckResult.Fail(evaluation.Message);
            }
            catch (TargetInvocationException e)
            {
                var inner = e.InnerException ?? e;
                string type = inner is Remote.LearnerException learner ? learner.TypeName : inner.GetType().Name;
                result = CheckResult.Fail($"{check.Name}: your code threw {type}: {inner.Message}");
            }
            if (!result.Passed)
            {
                string message = result.Message;
                if (context.CellError is { } cellError) message += $" (the exercise cell failed: {cellError})";
                return new ExerciseResult(exerciseId, false, message);
            }
            passed.Add(result.Message);
        }
        return new ExerciseResult(exerciseId, true, string.Join("; ", passed.Where(m => m != "ok").DefaultIfEmpty("all checks passed")));
    }
}
