using System.Reflection;

namespace ModelSecurity.Grading.Feedback;

/// <summary>
/// Runs an exercise's registered checks (the same ones <c>course grade</c> runs) for a learner inside the notebook and
/// words the outcome for them.
/// </summary>
/// <remarks>
/// This walks <see cref="CheckRegistry.ChecksFor"/> itself instead of calling <see cref="CheckRegistry.Grade"/>: Grade
/// reduces a failure to one string, while in the notebook the exception itself says more (a blank exercise's
/// <see cref="NotImplementedException"/> gets "write your code in place of the throw", any other exception the line of
/// the learner's cell it came from). The checks, their inputs and their messages are the graded ones.
/// </remarks>
public static class ExerciseFeedback
{
    /// <summary>Runs the checks of <paramref name="context"/>'s exercise and stops at the first failure.</summary>
    /// <param name="registry">The checks (normally <see cref="CheckRegistry.Default"/>).</param>
    /// <param name="context">The notebook's current state.</param>
    /// <param name="locate">Where in the learner's cells an exception came from (e.g. "cell 24, line 3"), or null.</param>
    public static CheckReport Check(CheckRegistry registry, IExerciseContext context, Func<Exception, string?>? locate = null)
    {
        string id = context.ExerciseId;
        var checks = registry.ChecksFor(id);
        if (checks.Count == 0) return Unknown(registry, id);

        var lines = new List<CheckLine>();
        foreach (var check in checks)
        {
            CheckResult result;
            try
            {
                result = (CheckResult)check.Method.Invoke(null, [context])!;
            }
            catch (TargetInvocationException e)
            {
                result = CheckResult.Fail(Explain(e.InnerException ?? e, locate));
            }
            lines.Add(new CheckLine(check.Name, result.Passed, result.Passed && result.Message == "ok" ? $"{check.Name}: passed" : result.Message));
            if (!result.Passed) break;
        }
        bool passed = lines.All(l => l.Passed);
        return new CheckReport(id, lines, passed ? null : $"Stuck? `Exercise(\"{id}\").Hint()` shows a hint, `.Solution()` the reference solution.");
    }

    /// <summary>What a learner should read for an exception thrown while a check ran their code.</summary>
    public static string Explain(Exception exception, Func<Exception, string?>? locate = null)
    {
        while (exception is TargetInvocationException { InnerException: { } inner }) exception = inner;
        if (exception is ExerciseEvaluationException) return exception.Message;
        string? where = locate?.Invoke(exception);
        if (exception is NotImplementedException)
            return $"the exercise is still blank: your code threw NotImplementedException (\"{exception.Message}\"){At(where)}. " +
                   "Replace the `throw` in the exercise cell above with your code, run that cell, then run this check again.";
        return $"your code threw {exception.GetType().Name}: {exception.Message}{At(where)}.";
    }

    /// <summary>A report for an id with no checks, naming the exercises that exist.</summary>
    public static CheckReport Unknown(CheckRegistry registry, string id)
    {
        string set = id.Contains('/') ? id[..id.IndexOf('/')] : id;
        var known = registry.ExercisesInSet(set);
        string choices = known.Count > 0
            ? $"the exercises of {set} are {string.Join(", ", known.Select(k => $"\"{k}\""))}"
            : $"exercise ids look like \"01-fgsm/my-fgsm\" (chapter/name)";
        return new CheckReport(id, [new CheckLine("exercise", false, $"there is no exercise \"{id}\": {choices}.")]);
    }

    private static string At(string? where) => where is null ? "" : $" at {where}";
}
