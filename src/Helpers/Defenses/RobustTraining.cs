using ModelSecurity.Training;
using static TorchSharp.torch;

namespace ModelSecurity.Defenses;

/// <summary>Runs a <see cref="RobustTrainingRecipe"/> end to end (the robust counterpart of <see cref="RecipeRunner"/>).</summary>
public static class RobustTraining
{
    /// <summary>
    /// Seeds, builds the architecture, trains it with the recipe's objective (and, when the recipe asks, early stopping
    /// on a PGD check of a few training images), evaluates it on the clean test split and describes it as checkpoint
    /// metadata whose <c>Extra</c> holds the adversarial settings (<see cref="RobustTrainingRecipe.CheckpointExtra"/>).
    /// </summary>
    /// <param name="recipe">What to train.</param>
    /// <param name="device">Where to compute.</param>
    /// <param name="reporter">Training progress (default: console).</param>
    /// <param name="log">Where the early-stopping check reports (null: nowhere).</param>
    /// <param name="curve">
    /// Learning curves to record after every epoch (clean and PGD accuracy on validation images); measured before the
    /// early-stopping check, so a collapsed epoch is recorded as it was. Null for none.
    /// </param>
    public static TrainedModel Run(RobustTrainingRecipe recipe, Device device, ITrainingReporter? reporter = null, TextWriter? log = null,
                                   RobustnessCurve? curve = null)
    {
        ArgumentNullException.ThrowIfNull(recipe);
        var objective = recipe.CreateObjective();
        CatastrophicOverfittingMonitor? monitor = null;
        try
        {
            Func<Data.ImageDataset, Func<nn.Module<Tensor, Tensor>, EpochRecord, bool>>? check = null;
            if (recipe.EarlyStopping)
                check = train =>
                {
                    using var heldOut = train.Subset(Math.Min(recipe.EarlyStoppingImages, train.Count), recipe.Training.Seed + 1);
                    monitor = new CatastrophicOverfittingMonitor(heldOut, recipe.Epsilon, log: log);
                    if (curve is null) return monitor.Check;
                    var stopCheck = monitor;
                    return (model, record) =>
                    {
                        curve.Record(model, record);
                        return stopCheck.Check(model, record);
                    };
                };
            else if (curve is not null)
                check = _ => curve.Record;
            var trained = RecipeRunner.Run(recipe.Training, device, objective, reporter, recipe.CheckpointExtra(), check);
            if (monitor is null) return trained;
            var extra = new Dictionary<string, string>(trained.Info.Extra ?? new Dictionary<string, string>());
            foreach (var (key, value) in monitor.Describe()) extra[key] = value;
            return trained with { Info = trained.Info with { Extra = extra } };
        }
        finally
        {
            monitor?.Dispose();
        }
    }
}
