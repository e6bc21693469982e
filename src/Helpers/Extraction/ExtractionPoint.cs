namespace ModelSecurity.Extraction;

/// <summary>One point of an extraction curve: a copy trained from <paramref name="Queries"/> answers of an endpoint with <paramref name="Defense"/>.</summary>
/// <param name="Defense">Name of the output defense.</param>
/// <param name="Queries">Images the thief queried.</param>
/// <param name="Agreement">Fraction of evaluation images on which copy and victim predict the same class.</param>
/// <param name="Accuracy">The copy's accuracy on the evaluation images.</param>
/// <param name="Seconds">Time to query and train.</param>
public sealed record ExtractionPoint(string Defense, int Queries, double Agreement, double Accuracy, double Seconds);
