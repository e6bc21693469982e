using System.Globalization;
using ModelSecurity.Data;
using ModelSecurity.Models;
using ModelSecurity.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace ModelSecurity.Defenses;

/// <summary>
/// One run of Rice, Wong and Kolter's robust-overfitting experiment (<i>Overfitting in adversarially robust deep
/// learning</i>, ICML 2020) at the course's scale: adversarial training with a step schedule, a robust learning curve
/// on validation images after every epoch, and the weights of the epoch where robust validation accuracy peaked kept
/// beside the last ones — their remedy is exactly that, early stopping on a robust validation set. Holds two models
/// (native memory): dispose it.
/// </summary>
public sealed class RobustOverfittingRun : IDisposable
{
    private RobustOverfittingRun(RobustTrainingRecipe recipe, IReadOnlyList<CurvePoint> curve, string curveAttack, int curveImages, int bestEpoch,
                                 nn.Module<Tensor, Tensor> best, nn.Module<Tensor, Tensor> last, CheckpointInfo bestInfo, CheckpointInfo lastInfo)
    {
        Recipe = recipe;
        Curve = curve;
        CurveAttack = curveAttack;
        CurveImages = curveImages;
        BestEpoch = bestEpoch;
        Best = best;
        Last = last;
        BestInfo = bestInfo;
        LastInfo = lastInfo;
    }

    /// <summary>
    /// Training images held out (seed 0) as the validation split of the shipped runs — the split chapter 03 uses for all
    /// its curves — so that the chapter can rebuild the images the stored results were measured on.
    /// </summary>
    public const int ValidationImages = 5000;

    /// <summary>The shipped runs' curve: PGD-10 on validation images 0 … CurveImages − 1 after every epoch.</summary>
    public const int DefaultCurveImages = 500;

    /// <summary>The shipped runs' best-vs-last comparison: the next <c>DefaultHoldOutImages</c> validation images.</summary>
    public const int DefaultHoldOutImages = 1000;

    /// <summary>What was trained.</summary>
    public RobustTrainingRecipe Recipe { get; }

    /// <summary>Clean and robust validation accuracy, and training numbers, after every epoch.</summary>
    public IReadOnlyList<CurvePoint> Curve { get; }

    /// <summary>The attack behind <see cref="CurvePoint.RobustAccuracy"/>, e.g. "PGD-10 L∞ ε=0.1".</summary>
    public string CurveAttack { get; }

    /// <summary>How many validation images the curve measured.</summary>
    public int CurveImages { get; }

    /// <summary>The first epoch with the highest robust validation accuracy (1-based).</summary>
    public int BestEpoch { get; }

    /// <summary>The weights of <see cref="BestEpoch"/> (eval mode).</summary>
    public nn.Module<Tensor, Tensor> Best { get; }

    /// <summary>The weights after the last epoch (eval mode).</summary>
    public nn.Module<Tensor, Tensor> Last { get; }

    /// <summary>Checkpoint metadata of <see cref="Best"/> (its <c>Extra</c> says which epoch it is).</summary>
    public CheckpointInfo BestInfo { get; }

    /// <summary>Checkpoint metadata of <see cref="Last"/>.</summary>
    public CheckpointInfo LastInfo { get; }

    /// <summary>
    /// Seeds with the recipe's seed (initial weights, batches and, with <see cref="TrainingRecipe.TrainSubset"/>, which
    /// training images), trains the recipe's architecture on <paramref name="train"/> with the recipe's objective and
    /// measures the robust learning curve on <paramref name="validation"/> after every epoch.
    /// </summary>
    /// <param name="recipe">What to train; its schedule decides where the learning rate decays.</param>
    /// <param name="train">Training images (the recipe's subset of them is drawn from here).</param>
    /// <param name="validation">Images held out from <paramref name="train"/> for the curve and the choice of epoch.</param>
    /// <param name="device">Where to compute.</param>
    /// <param name="reporter">Training progress (default: none).</param>
    /// <param name="log">Where the curve writes one line per epoch (null: nowhere).</param>
    public static RobustOverfittingRun Train(RobustTrainingRecipe recipe, ImageDataset train, ImageDataset validation, Device device,
                                             ITrainingReporter? reporter = null, TextWriter? log = null)
    {
        ArgumentNullException.ThrowIfNull(recipe);
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(validation);
        var objective = recipe.CreateObjective();   // validates the recipe
        if (train.NumClasses != validation.NumClasses)
            throw new ArgumentException($"The training images have {train.NumClasses} classes and the validation images {validation.NumClasses}: take both from one dataset.", nameof(validation));

        Reproducibility.Seed(recipe.Training.Seed);
        var last = ModelZoo.Create(recipe.Training.Architecture, train.NumClasses);
        nn.Module<Tensor, Tensor>? best = null;
        WeightSnapshot? bestWeights = null;
        try
        {
            using var curve = new RobustnessCurve(validation, recipe.Epsilon, log: log);
            int bestEpoch = 0;
            double bestAccuracy = double.NegativeInfinity;
            var trainer = new Trainer(reporter ?? new SilentTrainingReporter())
            {
                StopAfterEpoch = (model, record) =>
                {
                    curve.Record(model, record);
                    var point = curve.Points[^1];
                    if (point.RobustAccuracy > bestAccuracy)
                    {
                        bestAccuracy = point.RobustAccuracy;
                        bestEpoch = point.Epoch;
                        bestWeights?.Dispose();
                        bestWeights = WeightSnapshot.Of(model);
                    }
                    return false;
                },
            };
            var history = trainer.Fit(last, train, recipe.Training, device, objective: objective);
            last.eval();
            best = ModelZoo.Create(recipe.Training.Architecture, train.NumClasses);
            best.to(device);
            bestWeights!.CopyInto(best);
            best.eval();

            var c = CultureInfo.InvariantCulture;
            var extra = new Dictionary<string, string>(recipe.CheckpointExtra())
            {
                ["robustOverfittingCurve"] = $"{curve.AttackName} on {curve.Count} validation images after every epoch",
                ["robustOverfittingBestEpoch"] = bestEpoch.ToString(c),
            };
            CheckpointInfo Describe(string which, int epoch) => new()
            {
                Architecture = recipe.Training.Architecture,
                Dataset = recipe.Training.Dataset,
                NumClasses = train.NumClasses,
                Seed = recipe.Training.Seed,
                Recipe = recipe.Training.ToJson(),
                Extra = RecipeRunner.WithTrainingFacts(new Dictionary<string, string>(extra) { ["weightsOfEpoch"] = epoch.ToString(c) }, history),
                Description = $"{recipe.Training.Name}: {which} weights (epoch {epoch} of {history.Epochs.Count}) of {history.Objective}",
            };
            var run = new RobustOverfittingRun(recipe, curve.Points.ToList(), curve.AttackName, curve.Count, bestEpoch, best, last,
                                               Describe("best-epoch", bestEpoch), Describe("last", history.Epochs.Count));
            best = null;
            return run;
        }
        catch
        {
            last.Dispose();
            best?.Dispose();
            throw;
        }
        finally
        {
            bestWeights?.Dispose();
        }
    }

    /// <summary>Frees both models.</summary>
    public void Dispose()
    {
        Best.Dispose();
        Last.Dispose();
    }
}
