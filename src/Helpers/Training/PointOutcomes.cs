using ModelSecurity.Attacks;
using ModelSecurity.Data;
using static TorchSharp.torch;

namespace ModelSecurity.Training;

/// <summary>
/// Per-point outcomes (right or wrong on each example) instead of one rate, so that two models or two attacks evaluated
/// on the same examples can be compared pairwise (<see cref="Statistics.PairedComparison.Of"/>): a paired test
/// resolves much smaller differences than two independent intervals, because the examples both get right cancel out.
/// </summary>
public static class PointOutcomes
{
    /// <summary>
    /// For every example of <paramref name="data"/>, whether <paramref name="model"/> (in eval mode, without gradients)
    /// predicts its label. The model's previous mode is restored afterwards.
    /// </summary>
    public static bool[] Correct(nn.Module<Tensor, Tensor> model, ImageDataset data, Device? device = null, int batchSize = 1000)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(data);
        bool wasTraining = model.training;
        model.eval();
        var outcomes = new List<bool>(data.Count);
        try
        {
            using var noGrad = no_grad();
            foreach (var batch in new DataLoader(data, batchSize, device ?? CPU))
            {
                using var scope = NewDisposeScope();
                using (batch) outcomes.AddRange(model.forward(batch.Images).argmax(1).eq(batch.Labels).cpu().data<bool>().ToArray());
            }
        }
        finally
        {
            model.train(wasTraining);
        }
        return [.. outcomes];
    }

    /// <summary>
    /// For every example of <paramref name="data"/>, whether <paramref name="model"/> still predicts its label on the
    /// output of <paramref name="attack"/> (untargeted; a transfer attack when the attack was built on another model).
    /// Examples are identified by their index, as in <see cref="RobustnessEvaluator"/>, so seeded attacks give each
    /// example the same result here as there.
    /// </summary>
    public static bool[] Robust(nn.Module<Tensor, Tensor> model, ImageDataset data, Attack attack, Device? device = null, int batchSize = 500)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(attack);
        bool wasTraining = model.training;
        var outcomes = new List<bool>(data.Count);
        int done = 0;
        try
        {
            foreach (var batch in new DataLoader(data, batchSize, device ?? CPU))
            {
                using var scope = NewDisposeScope();
                using (batch)
                {
                    var ids = Enumerable.Range(done, (int)batch.Count).Select(i => (long)i).ToArray();
                    var adversarial = attack.Run(batch.Images, batch.Labels, ids);
                    model.eval();
                    using var noGrad = no_grad();
                    outcomes.AddRange(model.forward(adversarial).argmax(1).eq(batch.Labels).cpu().data<bool>().ToArray());
                    done += (int)batch.Count;
                }
            }
        }
        finally
        {
            model.train(wasTraining);
        }
        return [.. outcomes];
    }
}
