using System.Reflection;
using System.Text.Json.Nodes;
using ModelSecurity.Attacks;
using ModelSecurity.Models;
using static TorchSharp.torch;

namespace ModelSecurity.Grading.Remote;

/// <summary>
/// The worker's side of <see cref="RemoteSubmission"/>: answers the grader's requests in the notebook's final state —
/// evaluates expressions (functions are kept under a handle) and calls the learner's functions on the arguments the
/// grader sent. It holds no check, no expected value and no key: it only computes what the learner's code computes.
/// </summary>
/// <param name="channel">The private channel to the grader.</param>
/// <param name="evaluate">Evaluates an expression as the given type in the notebook's state; throws
/// <see cref="ExerciseEvaluationException"/> when it is not defined or does not have that type.</param>
public sealed class EvaluationServer(RemoteChannel channel, Func<string, Type, object?> evaluate) : RemoteCodec.IRecipeBuilder
{
    private readonly Dictionary<long, Delegate> _handles = [];
    private readonly Dictionary<long, object> _sessions = [];
    private readonly Dictionary<string, nn.Module<Tensor, Tensor>> _shipped = [];
    private static readonly RemoteCodec.Limits RequestLimits = new(long.MaxValue, 64, int.MaxValue);

    /// <summary>Answers requests until the grader closes the channel.</summary>
    public void Serve()
    {
        while (true)
        {
            JsonObject request;
            try
            {
                request = channel.Receive(TimeSpan.FromDays(1), "a request");
            }
            catch (SubmissionUnavailableException)
            {
                return;
            }
            var reply = Handle(request);
            reply["id"] = request["id"]?.DeepClone();
            channel.Send(reply);
        }
    }

    private JsonObject Handle(JsonObject request)
    {
        using var scope = NewDisposeScope();
        try
        {
            return (string?)request["op"] switch
            {
                "evaluate" => Evaluate(request),
                "call" => Call(request),
                var op => throw new InvalidOperationException($"unknown request '{op}'"),
            };
        }
        catch (ExerciseEvaluationException e)
        {
            return new JsonObject { ["error"] = new JsonObject { ["kind"] = "evaluation", ["message"] = e.Message } };
        }
        catch (Exception e)
        {
            var inner = e is TargetInvocationException { InnerException: { } i } ? i : e;
            return new JsonObject { ["error"] = new JsonObject { ["kind"] = "exception", ["type"] = inner.GetType().FullName, ["message"] = inner.Message } };
        }
    }

    private JsonObject Evaluate(JsonObject request)
    {
        string expression = (string?)request["expression"] ?? "";
        var type = Type.GetType((string?)request["type"] ?? "", throwOnError: true)!;
        object? value = evaluate(expression, type);
        if (value is Delegate function)
        {
            long handle = _handles.Count + 1;
            _handles[handle] = function;
            return new JsonObject { ["handle"] = handle };
        }
        return new JsonObject { ["value"] = RemoteCodec.Encode(value, new RemoteCodec.EncodeState()) };
    }

    private JsonObject Call(JsonObject request)
    {
        var function = _handles[(long?)request["handle"] ?? 0];
        var parameters = function.GetType().GetMethod("Invoke")!.GetParameters();
        var encoded = request["args"] as JsonArray ?? [];
        if (encoded.Count != parameters.Length) throw new InvalidOperationException("wrong number of arguments");
        var state = new RemoteCodec.DecodeState(RequestLimits, this);
        var args = parameters.Select((p, i) => RemoteCodec.Decode(encoded[i], p.ParameterType, state)).ToArray();
        object? result = function.DynamicInvoke(args);
        // What the function did to its arguments in place travels back (a trained model, a tensor it overwrote).
        var after = new JsonArray(args.Select((a, i) => a switch
        {
            Tensor or Array => RemoteCodec.Encode(a, new RemoteCodec.EncodeState()),
            nn.Module<Tensor, Tensor> model when encoded[i] is JsonObject o && o.ContainsKey("model") => RemoteCodec.Encode(model, new RemoteCodec.EncodeState()),
            _ => null,
        }).ToArray());
        return new JsonObject { ["value"] = RemoteCodec.Encode(result, new RemoteCodec.EncodeState()), ["after"] = after };
    }

    /// <inheritdoc/>
    public object Build(string kind, JsonArray parts, long session, RemoteCodec.DecodeState state)
    {
        if (session != 0 && _sessions.TryGetValue(session, out var existing)) return existing;
        T Part<T>(int i) => (T)RemoteCodec.Decode(i < parts.Count ? parts[i] : throw new RemoteProtocolException($"a {kind} without part {i}"), typeof(T), state)!;
        object built = kind switch
        {
            "random" => new Random(Part<int>(0)),
            "sgd" => optim.SGD(Part<nn.Module<Tensor, Tensor>>(0).parameters(), Part<double>(1)),
            "fgsm" => new Fgsm(Part<nn.Module<Tensor, Tensor>>(0), Part<double>(1)),
            "pgd" => new Pgd(Part<nn.Module<Tensor, Tensor>>(0), Part<double>(1), steps: Part<int>(2), randomStart: Part<bool>(3)),
            "class-logit" => ClassLogit(Part<nn.Module<Tensor, Tensor>>(0), Part<long>(1)),
            "shipped" => Shipped(Part<string>(0)),
            "quantized-input" => new Defenses.QuantizedInput(Part<nn.Module<Tensor, Tensor>>(0), Part<int>(1)),
            _ => throw new RemoteProtocolException($"unknown recipe '{kind}'"),
        };
        if (session != 0) _sessions[session] = built;
        return built;
    }

    private static Func<Tensor, Tensor> ClassLogit(nn.Module<Tensor, Tensor> model, long label) => batch => model.forward(batch).select(1, label);

    /// <summary>A shipped model, loaded once and reset to its checkpoint before every call that uses it.</summary>
    private nn.Module<Tensor, Tensor> Shipped(string name)
    {
        if (name != "baseline") throw new RemoteProtocolException($"unknown shipped model '{name}'");
        if (!_shipped.TryGetValue(name, out var model))
        {
            model = ShippedModels.LoadBaseline(CPU);
            _shipped[name] = model;
        }
        else
        {
            using var fresh = ShippedModels.LoadBaseline(CPU);
            using var noGrad = no_grad();
            foreach (var (mine, theirs) in model.parameters().Zip(fresh.parameters())) mine.copy_(theirs);
        }
        model.eval();
        return model;
    }
}
