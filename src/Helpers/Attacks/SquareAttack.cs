using TorchSharp;
using ModelSecurity.Runtime;
using static TorchSharp.torch;

namespace ModelSecurity.Attacks;

/// <summary>
/// Square Attack, L∞ (Andriushchenko, Croce, Flammarion &amp; Hein, ECCV 2020): a score-based black-box attack by random
/// search. It starts from vertical stripes of ±ε, then repeatedly proposes to overwrite one random square window (one
/// value ±ε per channel) and keeps the proposal when the margin loss z_y − max_{j≠y} z_j (targeted: max_{j≠t} z_j − z_t)
/// decreases. The window's area is a fraction p of the image that shrinks on the paper's schedule. One query per
/// proposal; an example stops as soon as it is fooled or its budget is spent.
/// </summary>
/// <remarks>
/// Checked against the reference implementation in AutoAttack (fra31/auto-attack, square.py): p_init = 0.8, the
/// p-schedule of <see cref="Fraction"/>, window side round(√(p·H·W)) clipped to [1, min(H, W)], the window set to x ± ε
/// per channel, margin loss. AutoAttack's standard version uses 5 000 queries with the schedule <em>not</em> rescaled
/// to the budget (<see cref="RescaleSchedule"/> = false). Unlike the reference, which draws one window for the whole
/// batch per iteration, every example draws its own windows and signs from a stream of its own (<see cref="ExampleRandom"/>),
/// so its result does not depend on which examples share its batch. Only the L∞ version is implemented (AutoAttack's
/// L2 Square is not).
/// </remarks>
public sealed class SquareAttack : QueryAttack
{
    /// <summary>Creates the attack.</summary>
    /// <param name="model">The attacked classifier (only its logits are read).</param>
    /// <param name="epsilon">L∞ budget in pixel units.</param>
    /// <param name="maxQueries">Query budget per example (the schedule of p is scaled to it, as in the paper's code).</param>
    /// <param name="initialFraction">p_init: initial window area as a fraction of the image (the paper uses 0.8 on MNIST, 0.05 on ImageNet).</param>
    /// <param name="seed">Seed of the random windows and signs.</param>
    public SquareAttack(nn.Module<Tensor, Tensor> model, double epsilon, int maxQueries = 1000, double initialFraction = 0.8, int seed = 0)
        : base(model, $"Square L∞ ε={epsilon:G3} ({maxQueries} queries)", maxQueries)
    {
        Epsilon = Guard.Epsilon(epsilon);
        if (double.IsNaN(initialFraction) || initialFraction <= 0 || initialFraction > 1)
            throw new ArgumentOutOfRangeException(nameof(initialFraction), initialFraction, $"initialFraction must lie in (0, 1], e.g. 0.8; got {initialFraction}.");
        InitialFraction = initialFraction;
        Seed = seed;
    }

    /// <summary>ε.</summary>
    public double Epsilon { get; }

    /// <summary>p_init.</summary>
    public double InitialFraction { get; }

    /// <summary>Seed.</summary>
    public int Seed { get; }

    /// <summary>
    /// Rescale the p-schedule to the budget (true, the default, as the Square Attack paper's code does for other budgets),
    /// or apply it to the raw iteration numbers (false, as AutoAttack does with 5 000 queries).
    /// </summary>
    public bool RescaleSchedule { get; init; } = true;

    /// <summary>
    /// p at iteration <paramref name="iteration"/> (0-based) of <paramref name="iterations"/>: p_init halved after 10, 50, 200,
    /// 500, 1000, 2000, 4000, 6000 and 8000 of 10 000 iterations (rescaled to the budget unless <paramref name="rescale"/> is
    /// false), as in the authors' code.
    /// </summary>
    public static double Fraction(double initialFraction, int iteration, int iterations, bool rescale = true)
    {
        int scaled = rescale ? (int)(iteration / (double)iterations * 10000) : iteration;
        int[] thresholds = [10, 50, 200, 500, 1000, 2000, 4000, 6000, 8000];
        int halvings = thresholds.Count(t => scaled > t);
        return initialFraction / Math.Pow(2, halvings);
    }

    /// <summary>
    /// Side of the square window for fraction p of an H×W image with C channels: round(√(p·C·H·W/C)) = round(√(p·H·W)),
    /// at least 1 and at most min(H, W), as in the reference code (p is a fraction of the pixels; every channel of the
    /// window changes).
    /// </summary>
    public static int WindowSide(double fraction, long channels, long height, long width) =>
        (int)Math.Clamp(Math.Round(Math.Sqrt(fraction * channels * height * width / channels), MidpointRounding.ToEven), 1, Math.Min(height, width));

    /// <summary>z_y − max_{j≠y} z_j (untargeted) or max_{j≠t} z_j − z_t (targeted): below 0 means fooled.</summary>
    public static Tensor Margin(Tensor logits, Tensor labels, bool targeted)
    {
        var oneHot = nn.functional.one_hot(labels, logits.shape[1]).to_type(ScalarType.Bool);
        var own = logits.gather(1, labels.unsqueeze(1)).squeeze(1);
        var other = logits.masked_fill(oneHot, KeptScalars.NegativeInfinity).amax(new long[] { 1 });
        return targeted ? other - own : own - other;
    }

    /// <inheritdoc />
    protected override Tensor Search(Tensor images, Tensor labels, bool targeted)
    {
        if (images.ndim != 4)
            throw new ArgumentException($"{Name}: Square needs image batches shaped (N, C, H, W); got {Guard.Shape(images)}.", nameof(images));
        long n = images.shape[0], c = images.shape[1], h = images.shape[2], w = images.shape[3];
        var randoms = ExampleIds.Select(id => ExampleRandom.For(Seed, id)).ToArray();
        var all = arange(n, device: images.device);
        // Thousands of tiny steps: every Scalar the loop passes to libtorch is created once and kept alive (see KeptScalars).
        using var epsilon = Epsilon.ToScalar();
        using var inputMin = InputMin.ToScalar();
        using var inputMax = InputMax.ToScalar();

        // Vertical stripes: one sign per example, channel and column.
        var stripes = new float[n * c * w];
        for (int i = 0; i < n; i++)
            for (long j = 0; j < c * w; j++) stripes[i * c * w + j] = randoms[i].Next(2) == 0 ? -1f : 1f;
        var signs = tensor(stripes).view(n, c, 1, w).to(images.dtype, images.device);
        var best = (images + Epsilon * signs).clamp(InputMin, InputMax);
        var margin = Margin(QueryLogits(best, all), labels, targeted);

        for (int iteration = 1; iteration < MaxQueries; iteration++)
        {
            Runtime.Interruption.ThrowIfRequested();
            using var scope = NewDisposeScope();
            var active = nonzero(margin.ge(0)).squeeze(1);
            if (active.numel() == 0) break;
            long k = active.shape[0];
            int side = WindowSide(Fraction(InitialFraction, iteration - 1, MaxQueries, RescaleSchedule), c, h, w);

            // One random window and one ±ε per channel for each active example, from the example's own stream.
            var activeRows = active.cpu().data<long>().ToArray();
            var mask = new float[k * h * w];
            var channelSigns = new float[k * c];
            for (int i = 0; i < k; i++)
            {
                var random = randoms[activeRows[i]];
                int top = random.Next(0, (int)h - side + 1), left = random.Next(0, (int)w - side + 1);
                for (int r = top; r < top + side; r++)
                    for (int col = left; col < left + side; col++) mask[(i * h + r) * w + col] = 1;
                for (int ch = 0; ch < c; ch++) channelSigns[i * c + ch] = random.Next(2) == 0 ? -1f : 1f;
            }
            var window = tensor(mask, new long[] { k, 1, h, w }).to(images.dtype, images.device).to_type(ScalarType.Bool);
            var values = tensor(channelSigns).view(k, c, 1, 1).mul(epsilon).to(images.dtype, images.device);

            var clean = images.index_select(0, active);
            var current = best.index_select(0, active);
            var delta = where(window, values.expand(k, c, h, w), current - clean);
            var proposal = clean.add(delta, KeptScalars.One).clamp(inputMin, inputMax);
            var proposalMargin = Margin(QueryLogits(proposal, active), labels.index_select(0, active), targeted);
            var improved = proposalMargin.lt(margin.index_select(0, active));
            var rows = active.masked_select(improved);
            best.index_copy_(0, rows, proposal.index_select(0, nonzero(improved).squeeze(1)));
            margin.index_copy_(0, rows, proposalMargin.masked_select(improved));
        }

        var fooled = margin.lt(0).cpu().data<bool>().ToArray();
        for (int i = 0; i < n; i++) MarkSucceeded(i, fooled[i]);
        return best;
    }
}
