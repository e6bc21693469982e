using ModelSecurity.Attacks;
using ModelSecurity.Data;
using ModelSecurity.Statistics;
using ModelSecurity.Training;
using static TorchSharp.torch;

namespace ModelSecurity.Defenses;

/// <summary>
/// Early stopping's weights against the last ones, per image, on images that played no part in choosing the epoch: clean,
/// PGD-10 and APGD-CE-100 (L∞), so that "the best epoch is more robust than the last" is a paired test rather than the
/// maximum of a noisy curve compared with its endpoint.
/// </summary>
/// <param name="Epsilon">L∞ budget of both attacks.</param>
/// <param name="CleanBest">Per image: the best epoch's weights classify it correctly.</param>
/// <param name="CleanLast">Per image: the last weights classify it correctly.</param>
/// <param name="PgdBest">Per image: the best epoch's weights resist PGD-10.</param>
/// <param name="PgdLast">Per image: the last weights resist PGD-10.</param>
/// <param name="ApgdBest">Per image: the best epoch's weights resist APGD-CE-100.</param>
/// <param name="ApgdLast">Per image: the last weights resist APGD-CE-100.</param>
public sealed record BestVersusLastWeights(double Epsilon, bool[] CleanBest, bool[] CleanLast, bool[] PgdBest, bool[] PgdLast, bool[] ApgdBest, bool[] ApgdLast)
{
    /// <summary>How many images were compared.</summary>
    public int Count => CleanBest.Length;

    /// <summary>Clean accuracy, best epoch against last, on the same images.</summary>
    public PairedComparison Clean => PairedComparison.Of("best epoch", CleanBest, "last epoch", CleanLast);

    /// <summary>PGD-10 accuracy, best epoch against last, on the same images.</summary>
    public PairedComparison Pgd => PairedComparison.Of("best epoch", PgdBest, "last epoch", PgdLast);

    /// <summary>APGD-CE-100 accuracy, best epoch against last, on the same images.</summary>
    public PairedComparison Apgd => PairedComparison.Of("best epoch", ApgdBest, "last epoch", ApgdLast);

    /// <summary>
    /// Evaluates both models on <paramref name="images"/> — which must be held out from training and from the choice of
    /// the best epoch — with seeded attacks (the same result on every call).
    /// </summary>
    public static BestVersusLastWeights Evaluate(nn.Module<Tensor, Tensor> best, nn.Module<Tensor, Tensor> last, ImageDataset images, double epsilon, Device? device = null)
    {
        ArgumentNullException.ThrowIfNull(best);
        ArgumentNullException.ThrowIfNull(last);
        ArgumentNullException.ThrowIfNull(images);
        Guard.Epsilon(epsilon);
        bool[] Pgd10(nn.Module<Tensor, Tensor> model) => PointOutcomes.Robust(model, images, new Pgd(model, epsilon, steps: 10, seed: 0), device);
        bool[] ApgdCe(nn.Module<Tensor, Tensor> model) => PointOutcomes.Robust(model, images, new Apgd(model, epsilon, iterations: 100, seed: 0), device);
        return new BestVersusLastWeights(epsilon,
            PointOutcomes.Correct(best, images, device), PointOutcomes.Correct(last, images, device),
            Pgd10(best), Pgd10(last), ApgdCe(best), ApgdCe(last));
    }
}
