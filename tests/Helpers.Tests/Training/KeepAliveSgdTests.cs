using ModelSecurity.Training;
using static TorchSharp.torch;

namespace ModelSecurity.Tests.Training;

/// <summary>The trainer's SGD must compute exactly what TorchSharp's SGD computes (it only changes how scalars live).</summary>
public class KeepAliveSgdTests
{
    [Theory]
    [InlineData(0.0, 0.0)]
    [InlineData(0.9, 0.0)]
    [InlineData(0.9, 1e-3)]
    [InlineData(0.0, 5e-2)]
    public void MatchesTorchSharpSgdStepForStep(double momentum, double weightDecay)
    {
        using var scope = NewDisposeScope();
        manual_seed(7);
        var reference = nn.Linear(6, 3);
        var ours = nn.Linear(6, 3);
        ours.load_state_dict(reference.state_dict());
        using var torchSgd = optim.SGD(reference.parameters(), 0.1, momentum: momentum, weight_decay: weightDecay);
        using var keepAlive = new KeepAliveSgd(ours.parameters(), 0.1, momentum, weightDecay);
        for (int step = 0; step < 5; step++)
        {
            var x = randn(4, 6);
            var y = randint(0, 3, new long[] { 4 });
            foreach (var (model, optimizer) in new (nn.Module<Tensor, Tensor>, optim.Optimizer)[] { (reference, torchSgd), (ours, keepAlive) })
            {
                optimizer.zero_grad();
                nn.functional.cross_entropy(model.call(x), y).backward();
                optimizer.step();
            }
            if (step == 2) // the schedule changes the rate through the parameter groups, as the trainer does
                foreach (var optimizer in new optim.Optimizer[] { torchSgd, keepAlive })
                    foreach (var group in optimizer.ParamGroups) group.LearningRate = 0.03;
        }
        foreach (var (a, b) in reference.parameters().Zip(ours.parameters()))
            Assert.True(a.allclose(b, rtol: 1e-6, atol: 1e-7), $"max difference {(a - b).abs().max().item<float>()}");
        Assert.False(reference.parameters().First().allclose(nn.Linear(6, 3).parameters().First()));
    }
}
