using System.Linq.Expressions;
using System.Reflection;
using System.Text.Json.Nodes;
using static TorchSharp.torch;

namespace ModelSecurity.Grading.Remote;

/// <summary>The learner's code threw an exception that is not one of .NET's own types: its type name and message.</summary>
public sealed class LearnerException(string typeName, string message) : Exception(message)
{
    /// <summary>The exception's type name in the submission.</summary>
    public string TypeName { get; } = typeName;
}

/// <summary>
/// The grader's side of a submission that runs in another process: evaluates expressions in the notebook's final state
/// there, and turns the learner's functions into local delegates whose calls send the arguments as data and return the
/// results as data (<see cref="RemoteCodec"/>), each within a time limit. Arguments the function changed in place
/// (tensors, arrays, a model it trained) are copied back, so a check sees the same effects as in-process.
/// </summary>
public sealed class RemoteSubmission(RemoteChannel channel, TimeSpan callTimeout, DateTime deadline)
{
    private long _nextId;
    private string? _brokenBecause;
    private static readonly RemoteCodec.Limits ReplyLimits = new();

    /// <summary>Why the submission cannot answer any more, or null.</summary>
    public string? BrokenBecause => _brokenBecause ?? channel.BrokenBecause;

    /// <summary>The check being run, for messages about time-outs.</summary>
    public string? CurrentCheck { get; set; }

    /// <summary>An exercise context whose <see cref="IExerciseContext.Evaluate{T}"/> asks this submission.</summary>
    public IExerciseContext ContextFor(string exerciseId, bool cellFound, string? cellError) =>
        new RemoteExerciseContext(this, exerciseId, cellFound, cellError);

    /// <summary>Evaluates <paramref name="expression"/> in the submission as a <typeparamref name="T"/>; delegates become proxies.</summary>
    internal T Evaluate<T>(string expression)
    {
        var reply = Request(new JsonObject
        {
            ["op"] = "evaluate",
            ["expression"] = expression,
            ["type"] = typeof(T).AssemblyQualifiedName,
            ["delegate"] = typeof(Delegate).IsAssignableFrom(typeof(T)),
        }, $"`{expression}` to be evaluated");
        if (typeof(Delegate).IsAssignableFrom(typeof(T)))
        {
            long handle = (long?)reply["handle"] ?? throw Violation("an evaluation reply without a handle");
            return Proxy<T>(handle, expression);
        }
        var value = RemoteCodec.Decode(reply["value"], typeof(T), new RemoteCodec.DecodeState(ReplyLimits, null));
        return (T)value!;
    }

    private T Proxy<T>(long handle, string name)
    {
        var invoke = typeof(T).GetMethod("Invoke")!;
        var parameters = invoke.GetParameters().Select(p => Expression.Parameter(p.ParameterType, p.Name)).ToArray();
        Func<object?[], object?> call = args => Call(handle, name, args, invoke.ReturnType);
        Expression body = Expression.Invoke(Expression.Constant(call),
            Expression.NewArrayInit(typeof(object), parameters.Select(p => Expression.Convert(p, typeof(object)))));
        if (invoke.ReturnType == typeof(void)) body = Expression.Block(body, Expression.Empty());
        else body = Expression.Convert(body, invoke.ReturnType);
        return Expression.Lambda<T>(body, parameters).Compile();
    }

    private object? Call(long handle, string name, object?[] args, Type returnType)
    {
        var state = new RemoteCodec.EncodeState();
        var encoded = new JsonArray(args.Select(a => RemoteCodec.Encode(a, state)).ToArray());
        var reply = Request(new JsonObject { ["op"] = "call", ["handle"] = handle, ["args"] = encoded }, $"the call {name}(…)");
        var decode = new RemoteCodec.DecodeState(ReplyLimits, null);
        if (reply["after"] is JsonArray after && after.Count == args.Length)
            for (int i = 0; i < args.Length; i++)
                if (after[i] is { } node) CopyBack(args[i], node, decode);
        return returnType == typeof(void) ? null : RemoteCodec.Decode(reply["value"], returnType, decode);
    }

    /// <summary>Applies the state an argument had after the call (the learner changed it in place) to the grader's object.</summary>
    private static void CopyBack(object? argument, JsonNode node, RemoteCodec.DecodeState decode)
    {
        switch (argument)
        {
            case Tensor tensor:
                using (var scope = NewDisposeScope())
                {
                    var value = (Tensor)RemoteCodec.Decode(node, typeof(Tensor), decode)!;
                    if (!value.shape.SequenceEqual(tensor.shape)) throw Violation("a changed argument does not match its shape");
                    using (no_grad()) tensor.copy_(value.to_type(tensor.dtype));
                }
                break;
            case nn.Module<Tensor, Tensor> model when RemoteRecipes.Of(model) is null:
                RemoteCodec.LoadState(model, node as JsonObject ?? throw Violation("a changed model was expected"), decode.Limits);
                break;
            case Array array when array.GetType().GetElementType()!.IsPrimitive:
                var copy = (Array)RemoteCodec.Decode(node, array.GetType(), decode)!;
                if (copy.Length != array.Length) throw Violation("a changed array does not match its length");
                Array.Copy(copy, array, array.Length);
                break;
        }
    }

    private JsonObject Request(JsonObject request, string what)
    {
        long id = ++_nextId;
        request["id"] = id;
        channel.Send(request);
        var left = deadline - DateTime.UtcNow;
        var timeout = left < callTimeout ? left : callTimeout;
        if (timeout <= TimeSpan.Zero) throw new SubmissionUnavailableException($"the submission's time limit was reached before {what}");
        JsonObject reply;
        try
        {
            reply = channel.Receive(timeout, what);
        }
        catch (SubmissionUnavailableException e) when (e.Message.StartsWith("timed out", StringComparison.Ordinal))
        {
            string where = CurrentCheck is null ? "" : $" (check {CurrentCheck})";
            _brokenBecause ??= $"{what} did not return within {timeout.TotalSeconds:0.#} s{where}: the per-call limit (--call-timeout) or the submission's time limit";
            throw new SubmissionUnavailableException(_brokenBecause);
        }
        if ((long?)reply["id"] != id) throw Violation("a reply to another request");
        if (reply["error"] is JsonObject error) throw Rebuild(error);
        return reply;
    }

    private static Exception Rebuild(JsonObject error)
    {
        string message = Truncate((string?)error["message"] ?? "");
        string typeName = Truncate((string?)error["type"] ?? "Exception");
        if ((string?)error["kind"] == "evaluation") return new ExerciseEvaluationException(message);
        // .NET's own exception types are rebuilt (a check may expect an ArgumentException); any other type is named only.
        var type = typeof(object).Assembly.GetType(typeName, throwOnError: false);
        if (type is not null && typeof(Exception).IsAssignableFrom(type) && !type.IsAbstract
            && type.GetConstructor([typeof(string), typeof(Exception)]) is { } constructor)
            return (Exception)constructor.Invoke([message, null]);
        return new LearnerException(typeName.Split('.')[^1], message);
    }

    private static string Truncate(string text) => text.Length > 2000 ? text[..2000] + "…" : text;

    private static SubmissionUnavailableException Violation(string what) =>
        new($"the submission's process broke the grading protocol: {what}");
}
