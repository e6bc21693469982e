using static TorchSharp.torch;

namespace ModelSecurity.Explanations;

/// <summary>
/// Integrated gradients (Sundararajan, Taly &amp; Yan 2017): attributionᵢ = (xᵢ − x′ᵢ) · ∫₀¹ ∂z_c(x′ + t(x − x′))/∂xᵢ dt,
/// the path integral of the gradient from a baseline x′ (default: the black image) to x, approximated by a Riemann sum
/// over <see cref="Steps"/> points. By the fundamental theorem of calculus the attributions add up to z_c(x) − z_c(x′)
/// (completeness); <see cref="CompletenessGap"/> measures how far the Riemann sum is from that.
/// </summary>
public sealed class IntegratedGradients
{
    /// <summary>Creates the method.</summary>
    /// <param name="steps">m, points of the Riemann sum (the paper: 20–300).</param>
    /// <param name="rule">Where in each of the m intervals the gradient is taken.</param>
    /// <param name="batchSize">Path points evaluated per forward/backward pass.</param>
    public IntegratedGradients(int steps = 50, RiemannRule rule = RiemannRule.Midpoint, int batchSize = 256)
    {
        Steps = Guard.AtLeast(steps, 1, nameof(steps));
        if (!Enum.IsDefined(rule)) throw new ArgumentOutOfRangeException(nameof(rule), rule, "Unknown rule; use RiemannRule.Left, Right or Midpoint.");
        Rule = rule;
        BatchSize = Guard.AtLeast(batchSize, 1, nameof(batchSize));
    }

    /// <summary>m.</summary>
    public int Steps { get; }

    /// <summary>The Riemann rule.</summary>
    public RiemannRule Rule { get; }

    /// <summary>Path points per pass.</summary>
    public int BatchSize { get; }

    /// <summary>The path positions t₁ … t_m in [0, 1] of the rule.</summary>
    public IReadOnlyList<double> PathPoints() => Enumerable.Range(0, Steps).Select(k => Rule switch
    {
        RiemannRule.Left => (double)k / Steps,
        RiemannRule.Right => (k + 1.0) / Steps,
        _ => (k + 0.5) / Steps,
    }).ToList();

    /// <summary>Attributions shaped like <paramref name="images"/>.</summary>
    /// <param name="model">Classifier (images → logits).</param>
    /// <param name="images">Batch (N, C, H, W).</param>
    /// <param name="classes">Class to explain per image, int64 (N); null: the predicted class.</param>
    /// <param name="baseline">x′, shaped like one image or like the batch; null: zeros (black).</param>
    public Tensor Attribute(nn.Module<Tensor, Tensor> model, Tensor images, Tensor? classes = null, Tensor? baseline = null)
    {
        using var scope = NewDisposeScope();
        var target = ClassScores.Resolve("IntegratedGradients", model, images, classes);
        var start = Baseline(images, baseline);
        var difference = images - start;
        var points = PathPoints();
        var sum = zeros_like(images);
        ClassScores.InEval(model, () =>
        {
            long n = images.shape[0];
            int perPass = Math.Max(1, BatchSize / (int)Math.Max(1, n));
            for (int first = 0; first < points.Count; first += perPass)
            {
                Runtime.Interruption.ThrowIfRequested();
                using var inner = NewDisposeScope();
                var ts = points.Skip(first).Take(perPass).ToArray();
                // All path points of this pass for all images at once: (len(ts)·N, C, H, W).
                var alphas = tensor(ts, dtype: images.dtype, device: images.device).view(-1, 1, 1, 1, 1);
                var path = (start.unsqueeze(0) + alphas * difference.unsqueeze(0)).flatten(0, 1);
                var gradient = ClassScores.InputGradient(model, path, target.repeat(ts.Length));
                sum.add_(gradient.view(ts.Length, n, images.shape[1], images.shape[2], images.shape[3]).sum(dim: 0));
            }
            return 0;
        });
        return scope.MoveToOuter(difference * sum / points.Count);
    }

    /// <summary>
    /// Per image, Σᵢ attributionᵢ − (z_c(x) − z_c(x′)), (N): zero for exact integrated gradients; the Riemann sum's error otherwise.
    /// </summary>
    public static Tensor CompletenessGap(nn.Module<Tensor, Tensor> model, Tensor images, Tensor attributions, Tensor classes, Tensor? baseline = null)
    {
        ArgumentNullException.ThrowIfNull(attributions);
        if (!attributions.shape.SequenceEqual(images.shape))
            throw new ArgumentException($"attributions must be shaped like the images {Guard.Shape(images)}; got {Guard.Shape(attributions)}.", nameof(attributions));
        using var scope = NewDisposeScope();
        var target = ClassScores.Resolve("IntegratedGradients", model, images, classes);
        var start = Baseline(images, baseline);
        using var noGrad = no_grad();
        var scores = ClassScores.InEval(model, () => ClassScores.Select(model.forward(images), target) - ClassScores.Select(model.forward(start), target));
        return scope.MoveToOuter(attributions.flatten(1).sum(1) - scores);
    }

    private static Tensor Baseline(Tensor images, Tensor? baseline)
    {
        if (baseline is null) return zeros_like(images);
        var oneImage = images.shape.Skip(1).ToArray();
        if (baseline.shape.SequenceEqual(images.shape)) return baseline;
        if (baseline.shape.SequenceEqual(oneImage)) return baseline.unsqueeze(0).expand(images.shape);
        if (baseline.ndim == 4 && baseline.shape[0] == 1 && baseline.shape.Skip(1).SequenceEqual(oneImage)) return baseline.expand(images.shape);
        throw new ArgumentException(
            $"The baseline must be shaped like one image ({string.Join(", ", oneImage)}) or like the batch {Guard.Shape(images)}; got {Guard.Shape(baseline)}.", nameof(baseline));
    }
}

/// <summary>Where a Riemann sum of m intervals on [0, 1] evaluates the integrand.</summary>
public enum RiemannRule
{
    /// <summary>t = k/m, k = 0 … m − 1.</summary>
    Left,

    /// <summary>t = k/m, k = 1 … m (the integrated-gradients paper's formula).</summary>
    Right,

    /// <summary>t = (k + ½)/m: second-order accurate, the default.</summary>
    Midpoint,
}
