namespace ModelSecurity.Privacy;

/// <summary>How DP-SGD forms its logical batches.</summary>
public enum BatchSampling
{
    /// <summary>
    /// Poisson sampling (Abadi et al. 2016): every example joins each batch independently with probability q, so batch
    /// sizes vary (mean q·N, possibly 0). This is the sampling the privacy accountants (moments accountant, RDP, PRV)
    /// analyse: the guarantee they compute holds for it.
    /// </summary>
    Poisson,

    /// <summary>
    /// Shuffle the data every epoch and cut it into batches of exactly B = q·N examples (the last, smaller one dropped),
    /// as ordinary training does. Common in practice, but the usual accountants assume Poisson sampling: an ε computed
    /// for q = B/N is only an approximation here, and not a bound — shuffling can be noticeably less private in some
    /// regimes (Chua et al., "How Private are DP-SGD Implementations?", ICML 2024). Fixed-size batches are also the
    /// replace-one neighbouring notion (sensitivity 2C rather than C). Use it to compare with ordinary training or for
    /// speed, and report ε only for <see cref="Poisson"/>.
    /// </summary>
    Shuffle,
}
