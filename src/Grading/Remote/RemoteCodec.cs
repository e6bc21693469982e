using System.Globalization;
using System.Text.Json.Nodes;
using ModelSecurity.Models;
using static TorchSharp.torch;

namespace ModelSecurity.Grading.Remote;

/// <summary>A value from the other side broke the protocol (wrong shape of message, too large, a type not allowed).</summary>
public sealed class RemoteProtocolException(string message) : Exception(message);

/// <summary>
/// Turns the values a check passes to, and gets back from, a learner's function into JSON data and back: numbers
/// (non-finite ones as the strings "NaN", "Infinity", "-Infinity"), strings, enums, arrays and lists, dictionaries,
/// tuples, tensors (dtype, shape, raw little-endian bytes), TorchSharp generators (their state), zoo models (architecture,
/// weights, gradients, train/eval mode) and the objects <see cref="RemoteRecipes"/> made. Decoding is driven by the type
/// the receiver expects, never by a type name the sender chose, and is bounded (<see cref="Limits"/>): the grader decodes
/// the submission's replies as untrusted input.
/// </summary>
public static class RemoteCodec
{
    /// <summary>Bounds on what one decoded value may hold.</summary>
    /// <param name="MaxElements">Elements of one tensor, array or list.</param>
    /// <param name="MaxDepth">Nesting depth.</param>
    /// <param name="MaxString">Characters of one string.</param>
    public sealed record Limits(long MaxElements = 50_000_000, int MaxDepth = 16, int MaxString = 100_000);

    /// <summary>What encoding one message keeps: objects already sent (a model that is both an argument and an
    /// attack's target is sent once and referenced).</summary>
    public sealed class EncodeState
    {
        internal Dictionary<object, int> Ids { get; } = new(ReferenceEqualityComparer.Instance);
    }

    /// <summary>What decoding one message keeps: objects already decoded, the worker's builder of recipe objects.</summary>
    public sealed class DecodeState(Limits limits, IRecipeBuilder? builder)
    {
        internal List<object> Objects { get; } = [];
        internal Limits Limits => limits;
        internal IRecipeBuilder? Builder => builder;
    }

    /// <summary>The worker's side of <see cref="RemoteRecipes"/>: builds the object a recipe describes.</summary>
    public interface IRecipeBuilder
    {
        /// <summary>Builds (or, for a session id seen before, returns) the object of a recipe.</summary>
        object Build(string kind, JsonArray parts, long session, DecodeState state);
    }

    /// <summary>Encodes <paramref name="value"/> (its runtime type decides).</summary>
    /// <exception cref="NotSupportedException">The value cannot be sent as data and has no recipe.</exception>
    public static JsonNode? Encode(object? value, EncodeState state) => value switch
    {
        null => null,
        bool b => JsonValue.Create(b),
        int or long or uint or short or byte or sbyte or ushort or ulong => JsonValue.Create(Convert.ToDecimal(value, CultureInfo.InvariantCulture)),
        double d => Number(d),
        float f => Number(f),
        string s => JsonValue.Create(s),
        Enum e => JsonValue.Create(e.ToString()),
        _ when RemoteRecipes.Of(value) is { } recipe => EncodeRecipe(value, recipe, state),
        Tensor t => new JsonObject { ["tensor"] = EncodeTensor(t) },
        Generator g => new JsonObject { ["generator"] = EncodeTensor(g.get_state()) },
        nn.Module<Tensor, Tensor> m => EncodeModel(m, state),
        System.Collections.IDictionary map => new JsonArray(map.Keys.Cast<object>().Select(k => (JsonNode?)new JsonArray(Encode(k, state), Encode(map[k], state))).ToArray()),
        System.Runtime.CompilerServices.ITuple tuple => new JsonArray(Enumerable.Range(0, tuple.Length).Select(i => Encode(tuple[i], state)).ToArray()),
        System.Collections.IEnumerable list => new JsonArray(list.Cast<object?>().Select(item => Encode(item, state)).ToArray()),
        _ => throw new NotSupportedException($"a {value.GetType().Name} cannot be sent to the submission's process as data; " +
                                             "build it with RemoteRecipes (src/Grading/Remote) or pass data instead"),
    };

    /// <summary>Decodes <paramref name="node"/> as a <paramref name="type"/>.</summary>
    /// <exception cref="RemoteProtocolException">The data is not a valid <paramref name="type"/> or exceeds the limits.</exception>
    public static object? Decode(JsonNode? node, Type type, DecodeState state, int depth = 0)
    {
        if (depth > state.Limits.MaxDepth) throw new RemoteProtocolException("the value is nested too deeply");
        if (node is null)
        {
            if (type.IsValueType && Nullable.GetUnderlyingType(type) is null) throw new RemoteProtocolException($"null where a {type.Name} was expected");
            return null;
        }
        type = Nullable.GetUnderlyingType(type) ?? type;
        if (node is JsonObject { Count: 1 } o && o["ref"] is JsonValue refValue)
        {
            int id = refValue.TryGetValue(out int i) ? i : -1;
            if (id < 0 || id >= state.Objects.Count || !type.IsInstanceOfType(state.Objects[id])) throw new RemoteProtocolException("a reference to an unknown object");
            return state.Objects[id];
        }
        if (node is JsonObject { } r && r["recipe"] is JsonValue kind)
        {
            if (state.Builder is null) throw new RemoteProtocolException("a recipe object where data was expected");
            var built = state.Builder.Build(kind.GetValue<string>(), r["parts"] as JsonArray ?? [], (long?)r["session"] ?? 0, state);
            if (!type.IsInstanceOfType(built)) throw new RemoteProtocolException($"a {kind} where a {type.Name} was expected");
            state.Objects.Add(built);
            return built;
        }
        if (type == typeof(bool)) return Scalar<bool>(node, type);
        if (type == typeof(int)) return Scalar<int>(node, type);
        if (type == typeof(long)) return Scalar<long>(node, type);
        if (type == typeof(uint)) return Scalar<uint>(node, type);
        if (type == typeof(double)) return DecodeDouble(node);
        if (type == typeof(float)) return (float)DecodeDouble(node);
        if (type == typeof(string))
        {
            string s = Scalar<string>(node, type);
            return s.Length > state.Limits.MaxString ? s[..state.Limits.MaxString] + "…" : s;
        }
        if (type.IsEnum)
            return Enum.TryParse(type, Scalar<string>(node, type), ignoreCase: false, out var e) && Enum.IsDefined(type, e!)
                ? e : throw new RemoteProtocolException($"not a {type.Name}");
        if (type == typeof(Tensor))
            return DecodeTensor((node as JsonObject)?["tensor"] as JsonObject ?? throw new RemoteProtocolException("a tensor was expected"), state.Limits);
        if (type == typeof(Generator))
        {
            var generator = new Generator();
            generator.set_state(DecodeTensor((node as JsonObject)?["generator"] as JsonObject ?? throw new RemoteProtocolException("a generator was expected"), state.Limits));
            return generator;
        }
        if (type == typeof(nn.Module<Tensor, Tensor>)) return DecodeModel(node as JsonObject ?? throw new RemoteProtocolException("a model was expected"), state);
        if (type.IsGenericType && type.FullName!.StartsWith("System.ValueTuple`", StringComparison.Ordinal))
        {
            var items = Items(node, state.Limits);
            var args = type.GetGenericArguments();
            if (items.Count != args.Length) throw new RemoteProtocolException($"a tuple of {args.Length} was expected");
            return Activator.CreateInstance(type, args.Select((t, i) => Decode(items[i], t, state, depth + 1)).ToArray());
        }
        if (DictionaryTypes(type) is var (keyType, valueType))
        {
            var dictionary = (System.Collections.IDictionary)Activator.CreateInstance(typeof(Dictionary<,>).MakeGenericType(keyType, valueType))!;
            foreach (var pair in Items(node, state.Limits))
            {
                var kv = pair as JsonArray;
                if (kv is not { Count: 2 }) throw new RemoteProtocolException("a dictionary entry must be [key, value]");
                var key = Decode(kv[0], keyType, state, depth + 1) ?? throw new RemoteProtocolException("a null dictionary key");
                if (dictionary.Contains(key)) throw new RemoteProtocolException("a repeated dictionary key");
                dictionary[key] = Decode(kv[1], valueType, state, depth + 1);
            }
            return dictionary;
        }
        if (ElementType(type) is { } element)
        {
            var items = Items(node, state.Limits);
            var array = Array.CreateInstance(element, items.Count);
            for (int i = 0; i < items.Count; i++) array.SetValue(Decode(items[i], element, state, depth + 1), i);
            return array;
        }
        throw new RemoteProtocolException($"values of type {type.Name} cannot be received");
    }

    /// <summary>The element type when <paramref name="type"/> is an array or a list interface an array implements.</summary>
    private static Type? ElementType(Type type)
    {
        if (type.IsArray && type.GetArrayRank() == 1) return type.GetElementType();
        if (!type.IsGenericType) return null;
        var definition = type.GetGenericTypeDefinition();
        return definition == typeof(IReadOnlyList<>) || definition == typeof(IList<>) || definition == typeof(IEnumerable<>)
               || definition == typeof(IReadOnlyCollection<>) || definition == typeof(ICollection<>)
            ? type.GetGenericArguments()[0] : null;
    }

    private static (Type Key, Type Value)? DictionaryTypes(Type type)
    {
        if (!type.IsGenericType) return null;
        var definition = type.GetGenericTypeDefinition();
        if (definition != typeof(IReadOnlyDictionary<,>) && definition != typeof(IDictionary<,>) && definition != typeof(Dictionary<,>)) return null;
        var args = type.GetGenericArguments();
        return (args[0], args[1]);
    }

    private static JsonArray Items(JsonNode node, Limits limits)
    {
        var items = node as JsonArray ?? throw new RemoteProtocolException("a list was expected");
        if (items.Count > limits.MaxElements) throw new RemoteProtocolException("a list is too long");
        return items;
    }

    private static T Scalar<T>(JsonNode node, Type type) =>
        node is JsonValue v && v.TryGetValue(out T? value) && value is not null ? value
        : node is JsonValue d && typeof(T) != typeof(string) && typeof(T) != typeof(bool) && d.TryGetValue(out decimal number)
            ? (T)Convert.ChangeType(number, typeof(T), CultureInfo.InvariantCulture)
            : throw new RemoteProtocolException($"a {type.Name} was expected");

    private static JsonNode Number(double d) =>
        double.IsFinite(d) ? JsonValue.Create(d) : JsonValue.Create(double.IsNaN(d) ? "NaN" : d > 0 ? "Infinity" : "-Infinity");

    private static double DecodeDouble(JsonNode node)
    {
        if (node is JsonValue v)
        {
            if (v.TryGetValue(out double d)) return d;
            if (v.TryGetValue(out string? s))
                return s switch { "NaN" => double.NaN, "Infinity" => double.PositiveInfinity, "-Infinity" => double.NegativeInfinity, _ => throw new RemoteProtocolException("a number was expected") };
        }
        throw new RemoteProtocolException("a number was expected");
    }

    private static readonly Dictionary<ScalarType, int> ElementSizes = new()
    {
        [ScalarType.Float32] = 4, [ScalarType.Float64] = 8, [ScalarType.Int64] = 8, [ScalarType.Int32] = 4, [ScalarType.Int16] = 2,
        [ScalarType.Int8] = 1, [ScalarType.Byte] = 1, [ScalarType.Bool] = 1, [ScalarType.Float16] = 2, [ScalarType.BFloat16] = 2,
    };

    private static JsonObject EncodeTensor(Tensor tensor)
    {
        using var scope = NewDisposeScope();
        var data = tensor.detach().cpu().contiguous();
        if (!ElementSizes.ContainsKey(data.dtype)) throw new NotSupportedException($"tensors of {data.dtype} cannot be sent");
        return new JsonObject
        {
            ["dtype"] = data.dtype.ToString(),
            ["shape"] = new JsonArray(tensor.shape.Select(s => (JsonNode?)JsonValue.Create(s)).ToArray()),
            ["data"] = Convert.ToBase64String(data.bytes),
            ["grad"] = tensor.requires_grad,
        };
    }

    private static Tensor DecodeTensor(JsonObject node, Limits limits)
    {
        if (!Enum.TryParse<ScalarType>((string?)node["dtype"], out var dtype) || !ElementSizes.TryGetValue(dtype, out int size))
            throw new RemoteProtocolException("a tensor with a missing or unsupported dtype");
        var shape = (node["shape"] as JsonArray ?? throw new RemoteProtocolException("a tensor without a shape"))
            .Select(d => d is JsonValue v && v.TryGetValue(out long n) && n >= 0 ? n : throw new RemoteProtocolException("a tensor with a bad shape")).ToArray();
        if (shape.Length > 8) throw new RemoteProtocolException("a tensor with too many dimensions");
        long count = 1;
        foreach (long d in shape) count = d == 0 ? 0 : count > limits.MaxElements / d ? long.MaxValue : count * d;
        if (count > limits.MaxElements) throw new RemoteProtocolException("a tensor is too large");
        byte[] bytes;
        try { bytes = Convert.FromBase64String((string?)node["data"] ?? ""); }
        catch (FormatException) { throw new RemoteProtocolException("a tensor's data is not base64"); }
        if (bytes.LongLength != count * size) throw new RemoteProtocolException("a tensor's data does not match its shape");
        var tensor = empty(shape, dtype);
        if (bytes.Length > 0) tensor.bytes = bytes;
        if ((bool?)node["grad"] == true && tensor.is_floating_point()) tensor.requires_grad_(true);
        return tensor;
    }

    private static JsonNode EncodeRecipe(object value, RemoteRecipes.Recipe recipe, EncodeState state)
    {
        if (state.Ids.TryGetValue(value, out int id)) return new JsonObject { ["ref"] = id };
        var node = new JsonObject { ["recipe"] = recipe.Kind, ["parts"] = new JsonArray(recipe.Parts.Select(p => Encode(p, state)).ToArray()) };
        if (recipe.Session != 0) node["session"] = recipe.Session;
        state.Ids[value] = state.Ids.Count;
        return node;
    }

    private static JsonNode EncodeModel(nn.Module<Tensor, Tensor> model, EncodeState state)
    {
        if (state.Ids.TryGetValue(model, out int id)) return new JsonObject { ["ref"] = id };
        var parameters = model.parameters().ToList();
        var node = new JsonObject
        {
            ["model"] = ModelZoo.ArchitectureOf(model),
            ["classes"] = parameters.Count > 0 ? parameters[^1].shape[0] : 10,
            ["training"] = model.training,
            ["parameters"] = new JsonArray(parameters.Select(p => (JsonNode?)EncodeTensor(p)).ToArray()),
            ["buffers"] = new JsonArray(model.buffers().Select(b => (JsonNode?)EncodeTensor(b)).ToArray()),
            ["gradients"] = new JsonArray(parameters.Select(p => p.grad is { } g ? (JsonNode?)EncodeTensor(g) : null).ToArray()),
        };
        state.Ids[model] = state.Ids.Count;
        return node;
    }

    private static nn.Module<Tensor, Tensor> DecodeModel(JsonObject node, DecodeState state)
    {
        string architecture = (string?)node["model"] ?? throw new RemoteProtocolException("a model without an architecture");
        if (!ModelZoo.Architectures.Contains(architecture)) throw new RemoteProtocolException($"unknown architecture '{architecture}'");
        int classes = (int?)node["classes"] ?? 10;
        if (classes is < 1 or > 1000) throw new RemoteProtocolException("a model with a bad class count");
        var model = ModelZoo.Create(architecture, classes);
        LoadState(model, node, state.Limits);
        state.Objects.Add(model);
        return model;
    }

    /// <summary>Copies weights, buffers, gradients and the train/eval mode from <paramref name="node"/> into <paramref name="model"/>.</summary>
    internal static void LoadState(nn.Module<Tensor, Tensor> model, JsonObject node, Limits limits)
    {
        var parameters = model.parameters().ToList();
        var buffers = model.buffers().ToList();
        var values = node["parameters"] as JsonArray ?? throw new RemoteProtocolException("a model without parameters");
        var bufferValues = node["buffers"] as JsonArray ?? [];
        var gradients = node["gradients"] as JsonArray ?? [];
        if (values.Count != parameters.Count || bufferValues.Count != buffers.Count || (gradients.Count != 0 && gradients.Count != parameters.Count))
            throw new RemoteProtocolException("a model's parameters do not match its architecture");
        using (var scope = NewDisposeScope())
        using (no_grad())
        {
            for (int i = 0; i < parameters.Count; i++) CopyInto(parameters[i], values[i], limits);
            for (int i = 0; i < buffers.Count; i++) CopyInto(buffers[i], bufferValues[i], limits);
        }
        // Gradients are set through autograd: d/dp Σ p·g = g, after zeroing whatever the model held.
        foreach (var p in parameters) p.grad?.zero_();
        using (var scope = NewDisposeScope())
        {
            Tensor? total = null;
            for (int i = 0; i < gradients.Count; i++)
            {
                if (gradients[i] is not JsonObject g) continue;
                var grad = DecodeTensor(g, limits);
                if (!grad.shape.SequenceEqual(parameters[i].shape)) throw new RemoteProtocolException("a gradient does not match its parameter");
                var term = (parameters[i] * grad.to_type(parameters[i].dtype)).sum();
                total = total is null ? term : total + term;
            }
            total?.backward();
        }
        bool training = (bool?)node["training"] ?? false;
        model.train(training);
    }

    private static void CopyInto(Tensor target, JsonNode? node, Limits limits)
    {
        var value = DecodeTensor(node as JsonObject ?? throw new RemoteProtocolException("a tensor was expected"), limits);
        if (!value.shape.SequenceEqual(target.shape)) throw new RemoteProtocolException("a tensor does not match the shape it replaces");
        target.copy_(value.to_type(target.dtype));
    }
}
