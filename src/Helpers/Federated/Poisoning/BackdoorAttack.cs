using System.Globalization;
using ModelSecurity.Data;
using ModelSecurity.Poisoning;
using TorchSharp;
using static TorchSharp.torch;

namespace ModelSecurity.Federated.Poisoning;

/// <summary>
/// A backdoor (Bagdasaryan et al. 2020, "How To Backdoor Federated Learning"): in every local batch the malicious
/// client stamps the trigger on a fraction of its images and relabels them as the target class, so its update teaches
/// the global model "trigger ⇒ target" while keeping clean accuracy; an optional boost γ scales the update (γ ≈ N/η is
/// their model replacement). Success rate: triggered test images of the other classes classified as the target.
/// </summary>
public sealed class BackdoorAttack : ClientAttack
{
    /// <summary>Creates the attack.</summary>
    /// <param name="targetClass">The class the trigger should produce.</param>
    /// <param name="trigger">The trigger (default: a 3×3 white square, bottom right).</param>
    /// <param name="poisonFraction">Fraction in (0, 1] of each batch that gets the trigger (default 0.5).</param>
    /// <param name="boost">γ, the factor applied to the update (default 1: no boosting).</param>
    /// <exception cref="ArgumentOutOfRangeException">A value out of range.</exception>
    public BackdoorAttack(int targetClass, BackdoorTrigger? trigger = null, double poisonFraction = 0.5, double boost = 1.0)
    {
        TargetClass = Guard.AtLeast(targetClass, 0, nameof(targetClass));
        Trigger = trigger ?? new BackdoorTrigger();
        if (!(poisonFraction > 0 && poisonFraction <= 1))
            throw new ArgumentOutOfRangeException(nameof(poisonFraction), poisonFraction, $"The poisoned fraction of each batch must lie in (0, 1]; got {poisonFraction}.");
        PoisonFraction = poisonFraction;
        if (!double.IsFinite(boost) || boost <= 0) throw new ArgumentOutOfRangeException(nameof(boost), boost, $"The boost factor must be a finite number > 0; got {boost}.");
        Boost = boost;
    }

    /// <summary>The class the trigger should produce.</summary>
    public int TargetClass { get; }

    /// <summary>The trigger.</summary>
    public BackdoorTrigger Trigger { get; }

    /// <summary>Fraction of each batch that is triggered and relabelled.</summary>
    public double PoisonFraction { get; }

    /// <summary>Update boost γ.</summary>
    public double Boost { get; }

    /// <inheritdoc />
    public override string Name => Boost == 1
        ? string.Create(CultureInfo.InvariantCulture, $"backdoor (→ {TargetClass})")
        : string.Create(CultureInfo.InvariantCulture, $"backdoor (→ {TargetClass}, ×{Boost:G4})");

    /// <summary>The first ⌈f·B⌉ examples of the batch (batches are shuffled, so a random share) get the trigger and the target label.</summary>
    public override (Tensor Images, Tensor Labels) PoisonBatch(Tensor images, Tensor labels)
    {
        long count = labels.shape[0];
        long poisoned = Math.Min(count, (long)Math.Ceiling(PoisonFraction * count));
        if (poisoned == 0) return (images, labels);
        long[] rows = Enumerable.Range(0, (int)poisoned).Select(i => (long)i).ToArray();
        var newImages = Trigger.ApplyTo(images, rows);
        var newLabels = labels.clone();
        using (var headLabels = newLabels.narrow(0, 0, poisoned)) headLabels.fill_(TargetClass);
        return (newImages, newLabels);
    }

    /// <inheritdoc />
    public override void PoisonUpdate(float[] delta)
    {
        ArgumentNullException.ThrowIfNull(delta);
        if (Boost != 1) VectorMath.Scale(delta, Boost);
    }

    /// <inheritdoc />
    public override double? SuccessRate(nn.Module<Tensor, Tensor> model, ImageDataset test, Device? device = null) =>
        Trigger.AttackSuccessRate(model, test, TargetClass, device);
}
