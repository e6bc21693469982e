using ModelSecurity.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace ModelSecurity.Extraction;

/// <summary>
/// A deployed classifier behind a prediction endpoint (machine learning as a service, as attacked by Tramèr et al.
/// 2016): it keeps the model private, answers batches of images with probabilities after an
/// <see cref="OutputDefense"/>, counts every image answered, and refuses queries beyond its budget. Answers are new
/// tensors without autograd history, so nothing a caller receives leads back to the weights.
/// </summary>
public sealed class VictimApi : IPredictionApi
{
    private readonly nn.Module<Tensor, Tensor> _model;
    private readonly Device _device;

    /// <summary>Puts <paramref name="model"/> behind an endpoint.</summary>
    /// <param name="model">The classifier (images → logits); the endpoint uses it in eval mode.</param>
    /// <param name="numClasses">Number of classes of its output.</param>
    /// <param name="queryBudget">Images the endpoint answers in total (≥ 1).</param>
    /// <param name="defense">What it does to the probabilities (default: nothing).</param>
    /// <param name="device">Where the model runs (default CPU).</param>
    /// <exception cref="ArgumentOutOfRangeException">A budget below 1 or fewer than two classes.</exception>
    public VictimApi(nn.Module<Tensor, Tensor> model, int numClasses, long queryBudget, OutputDefense? defense = null, Device? device = null)
    {
        _model = model ?? throw new ArgumentNullException(nameof(model));
        NumClasses = Guard.AtLeast(numClasses, 2, nameof(numClasses));
        if (queryBudget < 1)
            throw new ArgumentOutOfRangeException(nameof(queryBudget), queryBudget, $"The query budget must be at least 1 image; got {queryBudget}.");
        QueryBudget = queryBudget;
        Defense = defense ?? OutputDefense.None;
        _device = device ?? CPU;
    }

    /// <summary>An endpoint for the model stored in a checkpoint (the caller never holds the model).</summary>
    public static VictimApi FromCheckpoint(string path, long queryBudget, OutputDefense? defense = null, Device? device = null)
    {
        var (model, info) = Checkpoint.LoadWithInfo(path, device);
        return new VictimApi(model, info.NumClasses, queryBudget, defense, device);
    }

    /// <summary>The endpoint's total budget of images.</summary>
    public long QueryBudget { get; }

    /// <summary>The output defense.</summary>
    public OutputDefense Defense { get; }

    /// <inheritdoc />
    public int NumClasses { get; }

    /// <inheritdoc />
    public long QueriesUsed { get; private set; }

    /// <inheritdoc />
    public long RemainingQueries => QueryBudget - QueriesUsed;

    /// <summary>Number of calls to <see cref="Query"/> that were answered.</summary>
    public int Calls { get; private set; }

    /// <inheritdoc />
    public Tensor Query(Tensor images)
    {
        ArgumentNullException.ThrowIfNull(images);
        if (images.ndim != 4)
            throw new ArgumentException($"Query with a batch of images (N, C, H, W); got shape {Guard.Shape(images)}.", nameof(images));
        long count = images.shape[0];
        if (count > RemainingQueries) throw new QueryBudgetExceededException(count, RemainingQueries, QueryBudget);
        bool wasTraining = _model.training;
        _model.eval();
        try
        {
            using var noGrad = no_grad();
            using var scope = NewDisposeScope();
            var probabilities = _model.forward(images.to(_device)).softmax(1);
            if (probabilities.ndim != 2 || probabilities.shape[1] != NumClasses)
                throw new InvalidOperationException($"The model answered shape {Guard.Shape(probabilities)}; expected (N, {NumClasses}).");
            var answer = Defense.Apply(probabilities).detach().cpu().to_type(ScalarType.Float32).clone();
            QueriesUsed += count;
            Calls++;
            return scope.MoveToOuter(answer);
        }
        finally
        {
            _model.train(wasTraining);
        }
    }

    /// <inheritdoc />
    public override string ToString() => $"prediction API ({Defense.Name}): {QueriesUsed} of {QueryBudget} queries used";
}
