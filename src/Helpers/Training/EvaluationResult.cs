namespace ModelSecurity.Training;

/// <summary>Accuracy of one class.</summary>
/// <param name="Class">Class index.</param>
/// <param name="Name">Class name.</param>
/// <param name="Count">Test examples of this class.</param>
/// <param name="Accuracy">Fraction of them classified correctly.</param>
public sealed record ClassAccuracy(int Class, string Name, int Count, double Accuracy);

/// <summary>What <see cref="Evaluator.Evaluate"/> measured on a dataset.</summary>
/// <param name="Dataset">Name of the dataset.</param>
/// <param name="Count">Examples evaluated.</param>
/// <param name="Accuracy">Overall accuracy.</param>
/// <param name="Loss">Mean cross-entropy.</param>
/// <param name="PerClass">Accuracy of each class.</param>
/// <param name="ConfusionMatrix">Counts [true class, predicted class].</param>
public sealed record EvaluationResult(
    string Dataset, int Count, double Accuracy, double Loss, IReadOnlyList<ClassAccuracy> PerClass, int[,] ConfusionMatrix)
{
    /// <inheritdoc />
    public override string ToString() => $"{Dataset}: accuracy {Accuracy:P2} on {Count} examples (loss {Loss:F4})";
}
