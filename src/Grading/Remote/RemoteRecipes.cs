using System.Runtime.CompilerServices;
using ModelSecurity.Attacks;
using static TorchSharp.torch;

namespace ModelSecurity.Grading.Remote;

/// <summary>
/// How a check builds the objects it hands to a learner's function when they cannot travel as plain data (a
/// <see cref="Random"/> whose stream must continue across calls, an optimizer or an attack bound to a model argument,
/// a scoring function, a shipped model). Each helper returns an ordinary object — in-process (the notebook's own
/// check) nothing changes — and remembers a recipe that <see cref="RemoteCodec"/> sends instead, so the grading worker
/// rebuilds an equivalent object on its side. An object without a recipe that is not data cannot be sent: the codec
/// says which one.
/// </summary>
public static class RemoteRecipes
{
    private static readonly ConditionalWeakTable<object, Recipe> Known = new();
    private static long _nextSession;

    /// <summary>A recipe: a kind the worker knows how to build, its parts (data or other recipe objects), and for
    /// stateful objects a session id so that the worker keeps one object across calls.</summary>
    internal sealed record Recipe(string Kind, object?[] Parts, long Session = 0);

    /// <summary><c>new Random(seed)</c>; the worker draws from its own <c>new Random(seed)</c>, continued across calls.</summary>
    public static Random Random(int seed) => Remember(new Random(seed), new Recipe("random", [seed], Interlocked.Increment(ref _nextSession)));

    /// <summary>Plain SGD over <paramref name="model"/>'s parameters (the worker's optimizer updates its copy of the model).</summary>
    public static optim.Optimizer Sgd(nn.Module<Tensor, Tensor> model, double learningRate) =>
        Remember(optim.SGD(model.parameters(), learningRate), new Recipe("sgd", [model, learningRate]));

    /// <summary>FGSM against <paramref name="model"/>.</summary>
    public static Attack Fgsm(nn.Module<Tensor, Tensor> model, double epsilon) =>
        Remember(new Fgsm(model, epsilon), new Recipe("fgsm", [model, epsilon]));

    /// <summary>L∞ PGD against <paramref name="model"/> with the default step size.</summary>
    public static Attack Pgd(nn.Module<Tensor, Tensor> model, double epsilon, int steps, bool randomStart) =>
        Remember(new Pgd(model, epsilon, steps: steps, randomStart: randomStart), new Recipe("pgd", [model, epsilon, steps, randomStart]));

    /// <summary>The logit of class <paramref name="label"/>: <c>batch => model.forward(batch).select(1, label)</c>.</summary>
    public static Func<Tensor, Tensor> ClassLogit(nn.Module<Tensor, Tensor> model, long label)
    {
        Func<Tensor, Tensor> score = batch => model.forward(batch).select(1, label);
        return Remember(score, new Recipe("class-logit", [model, label]));
    }

    /// <summary>
    /// <paramref name="model"/> behind <see cref="Defenses.QuantizedInput"/> (the gradient-masked model of chapter 02);
    /// the worker wraps its own copy of <paramref name="model"/> (which must travel itself, e.g. as a shipped model).
    /// </summary>
    public static nn.Module<Tensor, Tensor> QuantizedInput(nn.Module<Tensor, Tensor> model, int levels) =>
        Remember(new Defenses.QuantizedInput(model, levels), new Recipe("quantized-input", [model, levels]));

    /// <summary>Marks a model the worker loads itself (e.g. "baseline": the shipped checkpoint) instead of receiving its weights.</summary>
    public static T Shipped<T>(T model, string name) where T : nn.Module<Tensor, Tensor> =>
        Remember(model, new Recipe("shipped", [name]));

    internal static Recipe? Of(object value) => Known.TryGetValue(value, out var recipe) ? recipe : null;

    private static T Remember<T>(T value, Recipe recipe) where T : class
    {
        Known.AddOrUpdate(value, recipe);
        return value;
    }
}
