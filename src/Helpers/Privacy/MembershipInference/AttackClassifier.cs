using ModelSecurity.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace ModelSecurity.Privacy.MembershipInference;

/// <summary>
/// The attack model of the shadow-model attack: a binary classifier "member or not" on feature rows, either logistic
/// regression (no hidden units) or an MLP with one hidden ReLU layer. Features are standardised with the mean and
/// standard deviation of the training rows; training is full-batch Adam on the binary cross-entropy. CPU only (tiny).
/// </summary>
public sealed class AttackClassifier : IDisposable
{
    private readonly nn.Module<Tensor, Tensor> _net;
    private readonly double[] _mean;
    private readonly double[] _scale;

    private AttackClassifier(nn.Module<Tensor, Tensor> net, double[] mean, double[] scale)
    {
        _net = net;
        _mean = mean;
        _scale = scale;
    }

    /// <summary>Number of input features.</summary>
    public int FeatureCount => _mean.Length;

    /// <summary>Trains a classifier on rows labelled member (true) / non-member (false).</summary>
    /// <param name="features">Feature rows, all of the same length ≥ 1.</param>
    /// <param name="isMember">One label per row; both classes must occur.</param>
    /// <param name="hiddenUnits">0: logistic regression; otherwise the width of one hidden ReLU layer.</param>
    /// <param name="steps">Full-batch Adam steps, at least 1.</param>
    /// <param name="learningRate">Adam's learning rate, &gt; 0.</param>
    /// <param name="seed">Seed of the initial weights.</param>
    /// <exception cref="ArgumentException">Rows and labels do not match, rows have different lengths, or a class is missing.</exception>
    public static AttackClassifier Train(
        IReadOnlyList<double[]> features, IReadOnlyList<bool> isMember, int hiddenUnits = 0, int steps = 300,
        double learningRate = 0.01, int seed = 0)
    {
        ArgumentNullException.ThrowIfNull(features);
        ArgumentNullException.ThrowIfNull(isMember);
        if (features.Count == 0) throw new ArgumentException("No feature rows to train the attack classifier on.", nameof(features));
        if (features.Count != isMember.Count)
            throw new ArgumentException($"{features.Count} feature rows but {isMember.Count} labels; give one label per row.", nameof(isMember));
        if (!isMember.Contains(true) || !isMember.Contains(false))
            throw new ArgumentException("The attack classifier needs both members and non-members among its training rows.", nameof(isMember));
        Guard.AtLeast(hiddenUnits, 0, nameof(hiddenUnits));
        Guard.AtLeast(steps, 1, nameof(steps));
        Guard.Positive(learningRate, nameof(learningRate));
        int d = CheckWidth(features, features[0].Length, nameof(features));

        var mean = new double[d];
        var scale = new double[d];
        for (int j = 0; j < d; j++)
        {
            mean[j] = features.Average(r => r[j]);
            double variance = features.Average(r => (r[j] - mean[j]) * (r[j] - mean[j]));
            scale[j] = variance > 1e-12 ? 1 / Math.Sqrt(variance) : 1;
        }

        Reproducibility.Seed(seed);
        nn.Module<Tensor, Tensor> net = hiddenUnits == 0
            ? nn.Sequential(("linear", nn.Linear(d, 1)))
            : nn.Sequential(("hidden", nn.Linear(d, hiddenUnits)), ("relu", nn.ReLU()), ("out", nn.Linear(hiddenUnits, 1)));
        var classifier = new AttackClassifier(net, mean, scale);
        try
        {
            using var scope = NewDisposeScope();
            var x = classifier.Standardise(features);
            var y = torch.tensor(isMember.Select(m => m ? 1f : 0f).ToArray());
            // weigh the classes equally, so an unbalanced training set does not shift the decision towards the majority
            float members = isMember.Count(m => m), others = isMember.Count - members;
            var weights = torch.tensor(isMember.Select(m => m ? isMember.Count / (2 * members) : isMember.Count / (2 * others)).ToArray());
            using var optimizer = optim.Adam(net.parameters(), learningRate);
            net.train();
            for (int step = 0; step < steps; step++)
            {
                using var stepScope = NewDisposeScope();
                optimizer.zero_grad();
                var loss = nn.functional.binary_cross_entropy_with_logits(net.forward(x).squeeze(1), y, weights);
                loss.backward();
                optimizer.step();
            }
            net.eval();
            return classifier;
        }
        catch
        {
            classifier.Dispose();
            throw;
        }
    }

    /// <summary>The predicted probability of membership of each row, in [0, 1] (higher = more likely member).</summary>
    /// <exception cref="ArgumentException">A row does not have <see cref="FeatureCount"/> features.</exception>
    public double[] PredictMembership(IReadOnlyList<double[]> features)
    {
        ArgumentNullException.ThrowIfNull(features);
        if (features.Count == 0) return [];
        CheckWidth(features, FeatureCount, nameof(features));
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var p = torch.sigmoid(_net.forward(Standardise(features)).squeeze(1)).to_type(ScalarType.Float64);
        return p.data<double>().ToArray();
    }

    /// <summary>Frees the network.</summary>
    public void Dispose() => _net.Dispose();

    private Tensor Standardise(IReadOnlyList<double[]> features)
    {
        int d = FeatureCount;
        var flat = new float[features.Count * d];
        for (int i = 0; i < features.Count; i++)
            for (int j = 0; j < d; j++)
                flat[i * d + j] = (float)((features[i][j] - _mean[j]) * _scale[j]);
        return torch.tensor(flat, new long[] { features.Count, d });
    }

    private static int CheckWidth(IReadOnlyList<double[]> features, int width, string name)
    {
        if (width < 1) throw new ArgumentException("Feature rows must hold at least one feature.", name);
        for (int i = 0; i < features.Count; i++)
        {
            ArgumentNullException.ThrowIfNull(features[i], $"{name}[{i}]");
            if (features[i].Length != width)
                throw new ArgumentException($"{name}[{i}] has {features[i].Length} features, expected {width} (all rows alike).", name);
            if (features[i].Any(v => !double.IsFinite(v)))
                throw new ArgumentException($"{name}[{i}] holds a NaN or infinite feature.", name);
        }
        return width;
    }
}
