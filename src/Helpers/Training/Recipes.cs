namespace ModelSecurity.Training;

/// <summary>The training recipes behind the checkpoints shipped in <c>data/checkpoints/</c>.</summary>
public static class Recipes
{
    /// <summary>
    /// The standard (non-robust) baseline: the Kolter–Madry CNN on Fashion-MNIST, Adam, cosine schedule.
    /// Every attack chapter starts from this model.
    /// </summary>
    public static TrainingRecipe Baseline { get; } = new()
    {
        Name = "baseline",
        Architecture = "kolter-madry-cnn",
        Dataset = "fashion-mnist",
        Epochs = 8,
        BatchSize = 128,
        Optimizer = "adam",
        LearningRate = 2e-3,
        Schedule = "cosine",
        Seed = 0,
    };
}
