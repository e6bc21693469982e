using System.Diagnostics;
using ModelSecurity.Data;
using ModelSecurity.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace ModelSecurity.Extraction;

/// <summary>
/// Agreement and accuracy of stolen copies vs the number of queries, for several output defenses. The experiment
/// (the defender's view) holds the victim to measure agreement; the thief gets only a <see cref="VictimApi"/>.
/// </summary>
public static class ExtractionExperiment
{
    /// <summary>
    /// For every defense: one endpoint with a budget of max(<paramref name="budgets"/>) queries answers the first
    /// max(budgets) images of <paramref name="pool"/>; for every budget b a copy is trained on the first b answers
    /// and compared with the victim on <paramref name="evaluation"/>.
    /// </summary>
    /// <exception cref="ArgumentException">No defenses or budgets, a budget below 1, or more than the pool holds.</exception>
    public static IReadOnlyList<ExtractionPoint> Run(
        nn.Module<Tensor, Tensor> victim, int numClasses, IReadOnlyList<OutputDefense> defenses, ImageDataset pool, IReadOnlyList<int> budgets,
        TrainingRecipe thiefRecipe, ImageDataset evaluation, Device? device = null, TextWriter? log = null)
    {
        ArgumentNullException.ThrowIfNull(victim);
        ArgumentNullException.ThrowIfNull(defenses);
        ArgumentNullException.ThrowIfNull(pool);
        ArgumentNullException.ThrowIfNull(budgets);
        ArgumentNullException.ThrowIfNull(evaluation);
        if (defenses.Count == 0 || budgets.Count == 0) throw new ArgumentException("Give at least one defense and one query budget.");
        if (budgets.Any(b => b < 1 || b > pool.Count))
            throw new ArgumentException($"Every query budget must lie in 1 … {pool.Count} (the thief's pool of images); got {string.Join(", ", budgets)}.", nameof(budgets));
        device ??= CPU;
        int largest = budgets.Max();
        var points = new List<ExtractionPoint>();
        using var progress = Runtime.Progress.Start("model extraction", (long)defenses.Count * budgets.Count, "stolen copy");
        foreach (var defense in defenses)
        {
            var api = new VictimApi(victim, numClasses, largest, defense, device);
            var clock = Stopwatch.StartNew();
            using var images = pool.Images.narrow(0, 0, largest).clone();
            using var answers = ModelThief.QueryAll(api, images);
            double querySeconds = clock.Elapsed.TotalSeconds;
            foreach (int budget in budgets.Order())
            {
                clock.Restart();
                using var x = images.narrow(0, 0, budget);
                using var a = answers.narrow(0, 0, budget);
                using var copy = ModelThief.Train(x, a, thiefRecipe, device);
                var point = new ExtractionPoint(defense.Name, budget, ModelAgreement.Measure(copy, victim, evaluation, device),
                    Evaluator.Evaluate(copy, evaluation, device).Accuracy, clock.Elapsed.TotalSeconds + querySeconds * budget / largest);
                points.Add(point);
                progress.Metric("agreement", point.Agreement, "P1").Advance();
                log?.WriteLine($"{defense.Name,-32} {budget,6} queries: agreement {point.Agreement:P1}, accuracy {point.Accuracy:P1} ({point.Seconds:F1} s)");
            }
        }
        return points;
    }
}
