using static TorchSharp.torch;

namespace ModelSecurity.Attacks;

/// <summary>
/// APGD-T, AutoAttack's second attack (Croce &amp; Hein, ICML 2020, section 4): APGD on the targeted DLR loss
/// −(z_y − z_t) / (z_π1 − (z_π3 + z_π4)/2) (<see cref="DlrLoss.Targeted"/>), run once per target class t. The targets are
/// the classes with the 2nd, 3rd, … highest logit on the clean image (the top <see cref="TargetClasses"/> non-true classes
/// of a correctly classified image; 9 in the standard version), each run only on the examples no earlier target broke.
/// The goal stays untargeted: an example is broken as soon as it is misclassified, whatever the class. Steering towards
/// one class at a time finds points that the untargeted losses miss, and DLR's ratio is blind to logit scaling.
/// </summary>
/// <remarks>
/// Schedule as in the reference code (fra31/auto-attack, <c>APGDAttack_targeted</c>): 100 iterations and one restart per
/// target in the standard version, the step-size schedule of <see cref="Apgd"/>, targets taken from the clean logits of
/// the examples still to fool.
/// </remarks>
public sealed class ApgdTargeted : ApgdBase
{
    /// <summary>Creates APGD-T.</summary>
    /// <param name="model">The attacked classifier (at least 4 classes: the loss uses z_π4).</param>
    /// <param name="epsilon">Budget in pixel units.</param>
    /// <param name="iterations">Iterations per target and run (100 in AutoAttack).</param>
    /// <param name="targetClasses">How many target classes to try (9 in AutoAttack; capped at classes − 1).</param>
    /// <param name="restarts">Runs per target.</param>
    /// <param name="seed">Seed of the random starts (each example and run has its own stream).</param>
    /// <param name="norm">L∞ or L2.</param>
    public ApgdTargeted(nn.Module<Tensor, Tensor> model, double epsilon, int iterations = 100, int targetClasses = 9, int restarts = 1,
                        int? seed = 0, Norm norm = Norm.LInf)
        : base(model, epsilon, iterations, restarts, seed, norm,
               $"APGD-T-{iterations}×{targetClasses} {NormName(norm)} ε={epsilon:G3}")
    {
        TargetClasses = Guard.AtLeast(targetClasses, 1, nameof(targetClasses));
    }

    private static Tensor TargetedDlr(Tensor logits, Tensor labels, Tensor? targets) =>
        DlrLoss.Targeted(logits, labels, targets ?? throw new InvalidOperationException("APGD-T runs always have targets."));

    /// <summary>Number of target classes tried.</summary>
    public int TargetClasses { get; }

    /// <inheritdoc />
    /// <remarks>
    /// Untargeted <see cref="Attack.Run(Tensor, Tensor)"/> tries the top non-true classes in turn; <see cref="Attack.RunTargeted"/>
    /// uses the given class as the only target (the true label is then taken as the model's clean prediction).
    /// </remarks>
    protected override Tensor Perturb(Tensor images, Tensor labels, bool targeted)
    {
        long n = images.shape[0];
        Tensor cleanLogits;
        using (no_grad()) cleanLogits = Model.forward(images);
        long classes = cleanLogits.shape[1];
        if (classes < 4)
            throw new ArgumentException($"{Name}: the targeted DLR loss needs at least 4 classes; the model has {classes}.");
        if (targeted)
        {
            var predicted = cleanLogits.argmax(1);
            return SingleRun(images, predicted, labels, ExampleIds, 0, TargetedDlr, targetedGoal: false);
        }

        var result = images.clone();
        var broken = zeros(n, dtype: ScalarType.Bool, device: images.device);
        var order = cleanLogits.argsort(1, descending: true);
        int targets = (int)Math.Min(TargetClasses, classes - 1);
        for (int rank = 1; rank <= targets; rank++)
        {
            for (int run = 0; run < Restarts; run++)
            {
                using var scope = NewDisposeScope();
                var active = nonzero(broken.logical_not()).squeeze(1);
                if (active.numel() == 0) return result;   // result lives outside this scope, so returning it here is safe
                var x = images.index_select(0, active);
                var y = labels.index_select(0, active);
                var t = order.index_select(0, active).select(1, rank);
                // Streams differ per target and run, so no two runs start from the same point.
                var adversarial = SingleRun(x, y, t, SelectIds(ExampleIds, active), rank * 1000 + run, TargetedDlr, targetedGoal: false);
                Tensor fooled;
                using (no_grad()) fooled = Model.forward(adversarial).argmax(1).ne(y);
                var hit = nonzero(fooled).squeeze(1);
                var rows = active.index_select(0, hit);
                result.index_copy_(0, rows, adversarial.index_select(0, hit));
                broken.index_fill_(0, rows, true);
            }
        }
        return result;
    }
}
