using System.Reflection;

namespace ModelSecurity.Grading;

/// <summary>
/// Marks a static method <c>static CheckResult M(IExerciseContext ctx)</c> as a check of exercise
/// <c>&lt;set&gt;/&lt;name&gt;</c>. A notebook's exercise cell names the exercise in its metadata:
/// <c>"course": {"exercise": "set/name"}</c> and is tagged <c>exercise</c>. Several checks may share an exercise;
/// it passes when all of them pass.
/// </summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = true)]
public sealed class ExerciseCheckAttribute(string set, string name) : Attribute
{
    /// <summary>Exercise set, usually a chapter (e.g. <c>toy</c>, <c>ch03</c>).</summary>
    public string Set { get; } = set;

    /// <summary>Exercise name within the set.</summary>
    public string Name { get; } = name;

    /// <summary>Full id, <c>set/name</c>.</summary>
    public string Id => $"{Set}/{Name}";

    /// <summary>Order among the checks of one exercise (lower first).</summary>
    public int Order { get; init; }
}

/// <summary>The verdict of one check.</summary>
/// <param name="Passed">True when the check passed.</param>
/// <param name="Message">What was checked, or what is wrong and a hint how to fix it.</param>
public sealed record CheckResult(bool Passed, string Message)
{
    /// <summary>A passed check.</summary>
    public static CheckResult Pass(string message = "ok") => new(true, message);

    /// <summary>A failed check with a helpful message.</summary>
    public static CheckResult Fail(string message) => new(false, message);
}

/// <summary>What a check sees of the student's notebook after it ran.</summary>
public interface IExerciseContext
{
    /// <summary>The exercise being graded (<c>set/name</c>).</summary>
    string ExerciseId { get; }

    /// <summary>
    /// Evaluates a C# expression in the notebook's final state, e.g. <c>Evaluate&lt;Func&lt;double, double&gt;&gt;("Square")</c>:
    /// variables and methods the student defined are in scope; methods convert to delegates.
    /// </summary>
    /// <exception cref="ExerciseEvaluationException">The expression does not compile (e.g. the name is not defined) or throws.</exception>
    T Evaluate<T>(string expression);

    /// <summary>The error output of the exercise cell when it failed to run (e.g. "cell 4, line 2: ..."), else null.</summary>
    string? CellError { get; }

    /// <summary>True when the notebook has a cell tagged <c>exercise</c> for this exercise.</summary>
    bool CellFound { get; }
}

/// <summary>An expression could not be evaluated in the student's notebook.</summary>
public sealed class ExerciseEvaluationException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>A check found by <see cref="CheckRegistry"/>.</summary>
/// <param name="Id">Exercise id, <c>set/name</c>.</param>
/// <param name="Method">The static method.</param>
/// <param name="Order">Order within the exercise.</param>
public sealed record ExerciseCheck(string Id, MethodInfo Method, int Order)
{
    /// <summary>The check's name for messages (its method name).</summary>
    public string Name => Method.Name;
}

/// <summary>The grade of one exercise.</summary>
/// <param name="Exercise">Exercise id.</param>
/// <param name="Passed">True when every check passed.</param>
/// <param name="Message">Summary: the first failure's message, or what passed.</param>
public sealed record ExerciseResult(string Exercise, bool Passed, string Message);
