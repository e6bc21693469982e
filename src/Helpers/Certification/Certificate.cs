namespace ModelSecurity.Certification;

/// <summary>The answer of <see cref="SmoothedClassifier.Certify"/>.</summary>
/// <param name="Prediction">The certified class, or <see cref="SmoothedClassifier.Abstain"/>.</param>
/// <param name="Radius">Certified L2 radius σ·Φ⁻¹(p̲_A); 0 when abstaining.</param>
/// <param name="LowerBound">p̲_A, the Clopper–Pearson lower bound on the top class's probability under noise.</param>
/// <param name="TopCount">How many of the n estimation samples f gave the guessed class.</param>
/// <param name="Samples">n.</param>
public sealed record Certificate(int Prediction, double Radius, double LowerBound, long TopCount, int Samples)
{
    /// <summary>True when the smoothed classifier abstained.</summary>
    public bool Abstained => Prediction == SmoothedClassifier.Abstain;
}

/// <summary>A certificate with the true label of its image.</summary>
/// <param name="Label">True class.</param>
/// <param name="Certificate">What CERTIFY returned.</param>
public sealed record LabelledCertificate(long Label, Certificate Certificate)
{
    /// <summary>True when the certified prediction is the label.</summary>
    public bool Correct => Certificate.Prediction == Label;
}

/// <summary>The answer of <see cref="SmoothedClassifier.Predict"/>.</summary>
/// <param name="Prediction">The predicted class, or <see cref="SmoothedClassifier.Abstain"/>.</param>
/// <param name="Counts">How often f chose each class on the noise samples.</param>
/// <param name="PValue">Two-sided binomial test of "the top two classes are equally likely".</param>
public sealed record SmoothedPrediction(int Prediction, IReadOnlyList<long> Counts, double PValue)
{
    /// <summary>True when the smoothed classifier abstained.</summary>
    public bool Abstained => Prediction == SmoothedClassifier.Abstain;
}
