using ModelSecurity.Training;
using static TorchSharp.torch;

namespace ModelSecurity.Privacy.MembershipInference;

/// <summary>Settings of <see cref="ShadowModelAttack"/>.</summary>
public sealed record ShadowAttackOptions
{
    /// <summary>
    /// How to train each shadow model: ideally the target's own recipe (the attacker is assumed to know it).
    /// Its <see cref="TrainingRecipe.TrainSubset"/> is ignored (each shadow trains on all of its half) and its seed is
    /// offset per shadow.
    /// </summary>
    public required TrainingRecipe Recipe { get; init; }

    /// <summary>Number k of shadow models, at least 1.</summary>
    public int ShadowCount { get; init; } = 4;

    /// <summary>
    /// Creates an untrained shadow model (called after seeding, once per shadow).
    /// Null: <c>ModelZoo.Create(Recipe.Architecture, classes)</c>.
    /// </summary>
    public Func<nn.Module<Tensor, Tensor>>? ModelFactory { get; init; }

    /// <summary>Hidden units of the attack classifier; 0 (default) = logistic regression.</summary>
    public int AttackHiddenUnits { get; init; }

    /// <summary>Full-batch Adam steps of the attack classifier.</summary>
    public int AttackSteps { get; init; } = 300;

    /// <summary>Learning rate of the attack classifier.</summary>
    public double AttackLearningRate { get; init; } = 0.01;

    /// <summary>Seed of the in/out splits, the shadow models (Recipe.Seed + this + shadow index) and the attack classifier.</summary>
    public int Seed { get; init; }

    /// <summary>Throws when a setting makes no sense.</summary>
    public void Validate()
    {
        ArgumentNullException.ThrowIfNull(Recipe);
        Recipe.Validate();
        Guard.AtLeast(ShadowCount, 1, nameof(ShadowCount));
        Guard.AtLeast(AttackHiddenUnits, 0, nameof(AttackHiddenUnits));
        Guard.AtLeast(AttackSteps, 1, nameof(AttackSteps));
        Guard.Positive(AttackLearningRate, nameof(AttackLearningRate));
    }
}
