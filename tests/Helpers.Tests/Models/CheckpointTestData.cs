using System.Text.Json.Nodes;
using ModelSecurity.Models;
using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace ModelSecurity.Tests.Models;

/// <summary>Models and descriptions shared by the checkpoint tests.</summary>
internal static class CheckpointTestData
{
    /// <summary>A zoo model whose weights differ clearly from any fresh initialization (SmallCnn's zero last layer included).</summary>
    public static Module<Tensor, Tensor> TrainedLooking(string architecture, int seed, int numClasses = 10)
    {
        manual_seed(seed);
        var model = ModelZoo.Create(architecture, numClasses);
        using (no_grad())
            foreach (var p in model.parameters())
                p.add_(randn_like(p) * 0.05);
        return model;
    }

    /// <summary>A description with every field set, including ones that are easy to lose in JSON.</summary>
    public static CheckpointInfo FullInfo(string architecture, int numClasses = 10) => new()
    {
        Architecture = architecture,
        Dataset = "fashion-mnist",
        NumClasses = numClasses,
        Seed = 1234,
        TestAccuracy = 0.9123456789012345,
        Recipe = new JsonObject
        {
            ["optimizer"] = "sgd",
            ["learningRate"] = 0.1,
            ["epochs"] = 3,
            ["attack"] = new JsonObject { ["kind"] = "pgd", ["epsilon"] = 0.1, ["steps"] = 40 },
            ["milestones"] = new JsonArray(1, 2),
        },
        Extra = new Dictionary<string, string> { ["epsilon"] = "0.1", ["beta"] = "6", ["dpEpsilon"] = "8" },
        Description = "PGD-trained (ε = 0.1) — for the robustness lab",
        CreatedUtc = new DateTimeOffset(2025, 3, 14, 15, 9, 26, 535, TimeSpan.Zero).AddTicks(8979),
    };
}
