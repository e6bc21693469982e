using ModelSecurity.Models;
using ModelSecurity.Privacy;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ModelSecurity.Tests.Privacy;

public class PerExampleGradientTests
{
    private static void CheckAgainstLoop(nn.Module<Tensor, Tensor> model, Tensor inputs, Tensor labels, int expectedParameters)
    {
        using var scope = NewDisposeScope();
        using var gradSample = new GradSampleModule(model);
        Assert.Equal(expectedParameters, gradSample.Parameters.Count);
        var fast = gradSample.Compute(inputs, labels);
        var slow = PerExampleReference.Loop(model, gradSample.Parameters, inputs, labels);
        PerExampleReference.AssertClose(gradSample.ParameterNames, fast.Gradients, slow);
        Assert.All(gradSample.Parameters, p => Assert.True(p.grad is null || p.grad.count_nonzero().item<long>() == 0));
    }

    [Fact]
    public void LinearLayersMatchOneBackwardPerExample()
    {
        manual_seed(11);
        var model = nn.Sequential(("fc1", nn.Linear(5, 7)), ("act", nn.Tanh()), ("fc2", nn.Linear(7, 3)));
        CheckAgainstLoop(model, randn(6, 5), randint(0, 3, 6), expectedParameters: 4);
    }

    [Fact]
    public void LinearOnSequencesSumsOverPositions()
    {
        manual_seed(12);
        var model = nn.Sequential(("fc1", nn.Linear(4, 6)), ("act", nn.ReLU()), ("flat", nn.Flatten()), ("fc2", nn.Linear(18, 3)));
        CheckAgainstLoop(model, randn(5, 3, 4), randint(0, 3, 5), expectedParameters: 4);
    }

    /// <summary>
    /// Checked against one backward pass per example in float64, where libtorch uses neither oneDNN nor float32 sums: on
    /// a host whose batched float32 convolution backward is wrong (libtorch 2.10, some AVX-512 CPUs, dilated layers),
    /// the numerics guard inside <see cref="GradSampleModule.Compute"/> switches to a correct path first, so this test
    /// fails only if the per-example gradients the library returns are wrong.
    /// </summary>
    [Fact]
    public void ConvolutionsWithStridePaddingDilationMatch()
    {
        static nn.Module<Tensor, Tensor> Build()
        {
            manual_seed(13);
            return nn.Sequential(
                ("conv1", nn.Conv2d(2, 4, 3, stride: 2, padding: 1)),
                ("relu1", nn.ReLU()),
                ("conv2", nn.Conv2d(4, 5, (3, 2), stride: (1, 2), padding: (2, 1), dilation: (2, 1))),
                ("relu2", nn.ReLU()),
                ("conv3", nn.Conv2d(5, 3, 2, padding: Padding.Same)), // even kernel: asymmetric "same" padding
                ("conv4", nn.Conv2d(3, 3, 3, padding: 1, padding_mode: PaddingModes.Reflect, bias: false)),
                ("flat", nn.Flatten()),
                ("fc", nn.Linear(3 * 7 * 3, 4)));
        }
        using var scope = NewDisposeScope();
        var model = Build();
        var model64 = Build().to(ScalarType.Float64);
        manual_seed(113);
        var inputs = randn(5, 2, 13, 9);
        var labels = randint(0, 4, 5);
        using (no_grad()) Assert.Equal(new long[] { 5, 4 }, model.forward(inputs).shape);

        using var gradSample = new GradSampleModule(model);
        Assert.Equal(9, gradSample.Parameters.Count);
        var fast = gradSample.Compute(inputs, labels);
        var parameters64 = model64.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        var slow = PerExampleReference.Loop(model64, gradSample.ParameterNames.Select(n => parameters64[n]).ToList(),
                                            inputs.to(ScalarType.Float64), labels);
        PerExampleReference.AssertClose(gradSample.ParameterNames, fast.Gradients, slow.Select(t => t.to(ScalarType.Float32)).ToList());
        Assert.All(gradSample.Parameters, p => Assert.True(p.grad is null || p.grad.count_nonzero().item<long>() == 0));
    }

    [Theory]
    [InlineData(3, 3, 1, 1, 1, 1)]
    [InlineData(3, 2, 2, 1, 1, 1)]
    [InlineData(3, 3, 2, 3, 2, 1)]
    [InlineData(2, 4, 1, 2, 3, 2)]
    public void PatchesAreThoseOfFunctionalUnfold(long kh, long kw, long sh, long sw, long dh, long dw)
    {
        using var scope = NewDisposeScope();
        manual_seed(20);
        var x = randn(3, 2, 11, 12);
        var mine = LayerGradients.Patches(x, new[] { kh, kw }, new[] { sh, sw }, new[] { dh, dw });
        var theirs = nn.functional.unfold(x, (kh, kw), dilation: (dh, dw), stride: (sh, sw));
        Assert.Equal(theirs.shape, mine.shape);
        Assert.True(mine.eq(theirs).all().item<bool>());
    }

    [Fact]
    public void TheZooCnnsMatch()
    {
        manual_seed(14);
        var images = rand(4, 1, 28, 28);
        var labels = randint(0, 10, 4);
        CheckAgainstLoop(new KolterMadryCnn(), images, labels, expectedParameters: 12);

        var small = new SmallCnn();
        using (no_grad()) // the reference code starts fc3 at zero, which would leave every earlier gradient zero
            foreach (var (name, p) in small.named_parameters())
                if (name.StartsWith("classifier.fc3", StringComparison.Ordinal)) p.normal_(0, 0.1);
        small.eval(); // dropout off, so the batch and the one-example passes see the same network
        CheckAgainstLoop(small, images, labels, expectedParameters: 14);
    }

    [Fact]
    public void GroupNormAndLayerNormMatch()
    {
        manual_seed(15);
        var model = nn.Sequential(
            ("conv", nn.Conv2d(1, 4, 3)), ("gn", nn.GroupNorm(2, 4)), ("relu", nn.ReLU()),
            ("ln", nn.LayerNorm(new long[] { 6, 6 })), ("flat", nn.Flatten()), ("fc", nn.Linear(4 * 36, 3)));
        using (no_grad())
            foreach (var p in model.parameters()) p.normal_(0.5, 0.3); // γ, β away from 1, 0 (and everything defined)
        CheckAgainstLoop(model, randn(5, 1, 8, 8), randint(0, 3, 5), expectedParameters: 8);
    }

    [Fact]
    public void TheMlpAndTheLinearClassifierRunTheirHooks()
    {
        manual_seed(16);
        var images = rand(3, 1, 28, 28);
        var labels = randint(0, 10, 3);
        CheckAgainstLoop(new Mlp(hiddenSize: 16), images, labels, expectedParameters: 4);
        CheckAgainstLoop(new LinearClassifier(), images, labels, expectedParameters: 2);
    }

    [Fact]
    public void ALayerCalledTwiceGetsBothContributionsAndFrozenLayersAreLeftOut()
    {
        manual_seed(17);
        var model = new TwiceModel();
        using var gradSample = new GradSampleModule(model);
        Assert.Equal(new[] { "shared.weight", "shared.bias", "head.weight", "head.bias" }, gradSample.ParameterNames);
        CheckAgainstLoop(model, randn(4, 5), randint(0, 2, 4), expectedParameters: 4);

        var layer = nn.Linear(3, 3);
        CheckAgainstLoop(nn.Sequential(("a", layer), ("tanh", nn.Tanh()), ("b", layer)), randn(4, 3), randint(0, 3, 4), expectedParameters: 2);

        var first = nn.Linear(3, 3);
        var second = nn.Linear(3, 3);
        second.weight = first.weight; // tied weights: one parameter in two layers
        var error = Assert.Throws<ArgumentException>(() => new GradSampleModule(nn.Sequential(("first", first), ("second", second))));
        Assert.Contains("tied", error.Message);
    }

    [Fact]
    public void ALayerCalledWithForwardInsteadOfCallIsDetected()
    {
        manual_seed(18);
        using var scope = NewDisposeScope();
        using var gradSample = new GradSampleModule(new BypassModel());
        var error = Assert.Throws<InvalidOperationException>(() => gradSample.Compute(randn(3, 4), randint(0, 2, 3)));
        Assert.Contains("'first'", error.Message);
        Assert.Contains("first.call(x)", error.Message);
    }

    [Fact]
    public void OutsideComputeTheModelWorksAsBeforeAndHooksGoAway()
    {
        manual_seed(19);
        using var scope = NewDisposeScope();
        var model = new Mlp(hiddenSize: 8);
        var x = rand(2, 1, 28, 28);
        var before = model.forward(x).detach();
        var gradSample = new GradSampleModule(model);
        using (no_grad()) Assert.True(model.forward(x).allclose(before));
        Assert.Throws<InvalidOperationException>(() => { using var _ = no_grad(); gradSample.Compute(x, randint(0, 10, 2)); });
        gradSample.Dispose();
        Assert.Throws<ObjectDisposedException>(() => gradSample.Compute(x, randint(0, 10, 2)));
        Assert.True(model.forward(x).allclose(before));
    }

    /// <summary>Uses one Linear twice (shared weights); a frozen layer in between.</summary>
    private sealed class TwiceModel : nn.Module<Tensor, Tensor>
    {
        private readonly Linear shared = nn.Linear(5, 5);
        private readonly Linear frozen = nn.Linear(5, 5);
        private readonly Linear head = nn.Linear(5, 2);

        public TwiceModel() : base(nameof(TwiceModel))
        {
            RegisterComponents();
            foreach (var p in frozen.parameters()) p.requires_grad = false;
        }

        public override Tensor forward(Tensor x) => head.call(shared.call(frozen.call(shared.call(x).tanh())).tanh());
    }

    /// <summary>Calls a layer's forward directly, which skips forward hooks.</summary>
    private sealed class BypassModel : nn.Module<Tensor, Tensor>
    {
        private readonly Linear first = nn.Linear(4, 4);
        private readonly Linear second = nn.Linear(4, 2);

        public BypassModel() : base(nameof(BypassModel)) => RegisterComponents();

        public override Tensor forward(Tensor x) => second.call(first.forward(x).relu());
    }
}
