using ModelSecurity.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace ModelSecurity.Tests.Models;

public class WeightSnapshotTests
{
    private static float[] Flat(nn.Module<Tensor, Tensor> model) =>
        model.parameters().SelectMany(p => p.detach().cpu().data<float>().ToArray()).ToArray();

    [Fact]
    public void PutsBackTheWeightsItCopiedAfterTrainingChangedThem()
    {
        torch.manual_seed(3);
        var model = ModelZoo.Create("mlp");
        float[] before = Flat(model);
        using var snapshot = WeightSnapshot.Of(model);
        using (torch.no_grad())
            foreach (var p in model.parameters()) p.add_(1.0f);
        Assert.NotEqual(before, Flat(model));
        snapshot.CopyInto(model);
        Assert.Equal(before, Flat(model));
    }

    [Fact]
    public void RefusesAnotherArchitectureAndLeavesItAsItWas()
    {
        torch.manual_seed(3);
        using var snapshot = WeightSnapshot.Of(ModelZoo.Create("mlp"));
        var other = ModelZoo.Create("kolter-madry-cnn");
        float[] before = Flat(other);
        var error = Assert.Throws<ArgumentException>(() => snapshot.CopyInto(other));
        Assert.Contains("does not match the saved weights", error.Message);
        Assert.Equal(before, Flat(other));
    }

    [Fact]
    public void CannotBeUsedOnceDisposed()
    {
        var model = ModelZoo.Create("mlp");
        var snapshot = WeightSnapshot.Of(model);
        snapshot.Dispose();
        snapshot.Dispose();
        Assert.Throws<ObjectDisposedException>(() => snapshot.CopyInto(model));
    }
}
