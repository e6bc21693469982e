using ModelSecurity.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace ModelSecurity.Federated.Poisoning;

/// <summary>
/// What a malicious client does differently from an honest one. Data poisoning changes the batches it trains on
/// (<see cref="PoisonBatch"/>: label flipping, backdoor triggers); model poisoning changes the update it uploads
/// (<see cref="PoisonUpdate"/>: boosting, sign flipping). An attack may do both (a boosted backdoor is Bagdasaryan
/// et al.'s model replacement). Attach one to a client with <see cref="FederatedClient.Attack"/>.
/// </summary>
public abstract class ClientAttack
{
    /// <summary>Short name for tables, e.g. "label flip (y → 9 − y)".</summary>
    public abstract string Name { get; }

    /// <summary>
    /// Returns the batch the malicious client actually trains on (default: unchanged). The tensors are on the
    /// training device; new tensors belong to the current dispose scope.
    /// </summary>
    public virtual (Tensor Images, Tensor Labels) PoisonBatch(Tensor images, Tensor labels) => (images, labels);

    /// <summary>Changes the update Δ = w_local − w_global in place before it is uploaded (default: unchanged).</summary>
    public virtual void PoisonUpdate(float[] delta) { }

    /// <summary>
    /// For colluding attackers: called by the server once per round, after every sampled client trained, with the
    /// updates of all of this round's clients that carry this attack (after <see cref="PoisonUpdate"/>), to change them
    /// in place before aggregation (default: unchanged). Adaptive attacks such as <see cref="LittleIsEnoughAttack"/>
    /// need it: their malicious update depends on the statistics of several clients' honest updates.
    /// </summary>
    public virtual void PoisonRound(IReadOnlyList<float[]> deltas) { }

    /// <summary>
    /// The attack's success on a test set — the fraction of attacked test inputs that get the attacker's label — or
    /// null for untargeted attacks, whose effect is the drop in clean accuracy.
    /// </summary>
    public virtual double? SuccessRate(nn.Module<Tensor, Tensor> model, ImageDataset test, Device? device = null) => null;

    /// <inheritdoc />
    public override string ToString() => Name;
}
