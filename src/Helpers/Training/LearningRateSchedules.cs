namespace ModelSecurity.Training;

/// <summary>A learning-rate multiplier as a function of training progress.</summary>
public interface ILearningRateSchedule
{
    /// <summary>
    /// Factor applied to the peak learning rate after <paramref name="epochs"/> epochs of training
    /// (fractional: 2.5 is half-way through the third epoch).
    /// </summary>
    double FactorAt(double epochs);
}

/// <summary>The schedules the course's recipes use.</summary>
public static class LearningRateSchedules
{
    /// <summary>Names accepted by <see cref="Create"/>.</summary>
    public static readonly IReadOnlyList<string> Names = new[] { "constant", "cosine", "step", "one-cycle" };

    /// <summary>Creates the schedule called <paramref name="name"/> for a run of <paramref name="totalEpochs"/> epochs.</summary>
    public static ILearningRateSchedule Create(string name, int totalEpochs) => name switch
    {
        "constant" => new Constant(),
        "cosine" => new Cosine(totalEpochs),
        "step" => new Step(totalEpochs),
        "one-cycle" => new OneCycle(totalEpochs),
        _ => throw new ArgumentException($"Unknown learning-rate schedule \"{name}\"; use one of: {string.Join(", ", Names)}."),
    };

    private sealed class Constant : ILearningRateSchedule
    {
        public double FactorAt(double epochs) => 1.0;
    }

    /// <summary>Cosine annealing from 1 to 0 over the run.</summary>
    private sealed class Cosine(int totalEpochs) : ILearningRateSchedule
    {
        public double FactorAt(double epochs) => 0.5 * (1 + Math.Cos(Math.PI * Math.Clamp(epochs / totalEpochs, 0, 1)));
    }

    /// <summary>Divides by 10 at 50% and again at 75% of the run (the usual robust-training schedule).</summary>
    private sealed class Step(int totalEpochs) : ILearningRateSchedule
    {
        public double FactorAt(double epochs) =>
            epochs < 0.5 * totalEpochs ? 1.0 : epochs < 0.75 * totalEpochs ? 0.1 : 0.01;
    }

    /// <summary>Linear warm-up to the peak at 40% of the run, then linear decay to 0 (Wong et al.'s fast AT).</summary>
    private sealed class OneCycle(int totalEpochs) : ILearningRateSchedule
    {
        public double FactorAt(double epochs)
        {
            double t = Math.Clamp(epochs / totalEpochs, 0, 1);
            return t < 0.4 ? t / 0.4 : (1 - t) / 0.6;
        }
    }
}
