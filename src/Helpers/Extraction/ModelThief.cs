using ModelSecurity.Data;
using ModelSecurity.Models;
using ModelSecurity.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace ModelSecurity.Extraction;

/// <summary>
/// The attacker of model extraction (Tramèr et al. 2016; Orekondy et al. 2019, Knockoff Nets): it sends its own
/// images to an <see cref="IPredictionApi"/> and trains a copy on the answers — soft cross-entropy
/// −Σ_c a_c log softmax(f(x))_c against the answered rows a (probabilities, or one-hot labels). It works only through
/// the API: nothing here takes the victim's model.
/// </summary>
public static class ModelThief
{
    /// <summary>
    /// Queries the API with every image of <paramref name="images"/> (N, C, H, W), in batches, and returns the answers
    /// (N, classes) on the CPU. Stops with <see cref="QueryBudgetExceededException"/> when the budget runs out.
    /// </summary>
    public static Tensor QueryAll(IPredictionApi api, Tensor images, int batchSize = 500)
    {
        ArgumentNullException.ThrowIfNull(api);
        ArgumentNullException.ThrowIfNull(images);
        Guard.AtLeast(batchSize, 1, nameof(batchSize));
        var parts = new List<Tensor>();
        try
        {
            using var progress = Runtime.Progress.Start("querying the API", images.shape[0], "query");
            for (long start = 0; start < images.shape[0]; start += batchSize)
            {
                using var slice = images.narrow(0, start, Math.Min(batchSize, images.shape[0] - start));
                parts.Add(api.Query(slice));
                progress.Advance(slice.shape[0]);
            }
            return parts.Count == 0 ? zeros(0, api.NumClasses) : cat(parts, 0);
        }
        finally
        {
            foreach (var part in parts) part.Dispose();
        }
    }

    /// <summary>
    /// Trains a fresh <paramref name="recipe"/>.Architecture model on (images, answers) with the soft cross-entropy:
    /// <paramref name="recipe"/> gives epochs, batch size, optimizer, learning rate, schedule and seed.
    /// </summary>
    /// <exception cref="ArgumentException">Images and answers do not belong together.</exception>
    public static nn.Module<Tensor, Tensor> Train(Tensor images, Tensor answers, TrainingRecipe recipe, Device device)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(answers);
        ArgumentNullException.ThrowIfNull(recipe);
        recipe.Validate();
        if (answers.ndim != 2 || images.ndim != 4 || answers.shape[0] != images.shape[0])
            throw new ArgumentException($"Expected images (N, C, H, W) and answers (N, classes); got {Guard.Shape(images)} and {Guard.Shape(answers)}.", nameof(answers));
        Reproducibility.Seed(recipe.Seed);
        var model = ModelZoo.Create(recipe.Architecture, (int)answers.shape[1]);
        model.to(device);
        using var optimizer = Trainer.CreateOptimizer(model, recipe);
        var schedule = LearningRateSchedules.Create(recipe.Schedule, recipe.Epochs);
        long n = images.shape[0];
        int batches = (int)((n + recipe.BatchSize - 1) / recipe.BatchSize);
        var random = new Random(recipe.Seed);
        model.train();
        using var progress = Runtime.Progress.Start("training the stolen copy", (long)recipe.Epochs * batches, "batch");
        for (int epoch = 0; epoch < recipe.Epochs; epoch++)
        {
            long[] order = Enumerable.Range(0, (int)n).Select(i => (long)i).OrderBy(_ => random.Next()).ToArray();
            for (int b = 0; b < batches; b++, progress.Advance())
            {
                Runtime.Interruption.ThrowIfRequested();
                using var scope = NewDisposeScope();
                foreach (var group in optimizer.ParamGroups)
                    group.LearningRate = recipe.LearningRate * schedule.FactorAt(epoch + (double)b / batches);
                var index = tensor(order.Skip(b * recipe.BatchSize).Take(recipe.BatchSize).ToArray());
                var x = images.index_select(0, index).to(device);
                var target = answers.index_select(0, index).to(device);
                optimizer.zero_grad();
                var loss = -(target * model.forward(x).log_softmax(1)).sum(1).mean();
                loss.backward();
                optimizer.step();
            }
        }
        model.eval();
        return model;
    }

    /// <summary>Queries the API with <paramref name="pool"/>'s images (its labels are ignored) and trains a copy on the answers.</summary>
    public static nn.Module<Tensor, Tensor> Steal(IPredictionApi api, ImageDataset pool, TrainingRecipe recipe, Device device)
    {
        ArgumentNullException.ThrowIfNull(pool);
        using var answers = QueryAll(api, pool.Images);
        return Train(pool.Images, answers, recipe, device);
    }
}
