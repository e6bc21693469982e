namespace ModelSecurity.Federated.SecureAggregation;

/// <summary>What one run of <see cref="SecureAggregationProtocol"/> produced and what the server saw.</summary>
/// <param name="Sum">Σ x_u mod 2³² over the surviving clients (decode with <see cref="FixedPoint.Decode"/>).</param>
/// <param name="MaskedInputs">The masked vectors y_u the server received, by client id — all the server learns about the inputs.</param>
/// <param name="Survivors">Clients whose masked input arrived, ascending.</param>
/// <param name="Dropped">Clients that advertised a key but sent no masked input, ascending.</param>
/// <param name="RevealedSeeds">Pairwise seeds the survivors revealed for dropout recovery (one per survivor–dropped pair).</param>
/// <param name="BytesUp">Bytes the clients sent: public keys (SubjectPublicKeyInfo), masked vectors (4 bytes a word), revealed seeds (32 bytes each).</param>
public sealed record SecureAggregationResult(
    uint[] Sum,
    IReadOnlyDictionary<int, uint[]> MaskedInputs,
    IReadOnlyList<int> Survivors,
    IReadOnlyList<int> Dropped,
    int RevealedSeeds,
    long BytesUp);
