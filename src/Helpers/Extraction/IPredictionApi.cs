using static TorchSharp.torch;

namespace ModelSecurity.Extraction;

/// <summary>
/// What a model-extraction attacker sees of a deployed classifier: a prediction endpoint with a query budget. There
/// is no way to reach the model behind it — no weights, no gradients, no logits beyond what the endpoint answers.
/// </summary>
public interface IPredictionApi
{
    /// <summary>Number of classes of the answers.</summary>
    int NumClasses { get; }

    /// <summary>Images the endpoint may still answer (each image is one query).</summary>
    long RemainingQueries { get; }

    /// <summary>Images answered so far.</summary>
    long QueriesUsed { get; }

    /// <summary>
    /// Answers a batch of images (N, C, H, W) with one row per image (N, classes) on the CPU: probabilities, or a
    /// one-hot row for label-only endpoints, after the endpoint's output defense.
    /// </summary>
    /// <exception cref="QueryBudgetExceededException">The batch would exceed the remaining budget (nothing is answered).</exception>
    Tensor Query(Tensor images);
}
