using System.Reflection;
using ModelSecurity.Data;
using ModelSecurity.Extraction;
using ModelSecurity.Tests.Support;
using ModelSecurity.Training;
using static TorchSharp.torch;

namespace ModelSecurity.Tests.Extraction;

public class ExtractionTests(TrainedMlpFixture fixture) : IClassFixture<TrainedMlpFixture>
{
    [Fact]
    public void TheQueryBudgetIsEnforcedAndCounted()
    {
        var api = new VictimApi(fixture.Model, 10, queryBudget: 10);
        using var scope = NewDisposeScope();
        var images = fixture.Test.Images.narrow(0, 0, 6);
        var answer = api.Query(images);
        Assert.Equal(new long[] { 6, 10 }, answer.shape);
        Assert.Equal(6, api.QueriesUsed);
        var refused = Assert.Throws<QueryBudgetExceededException>(() => api.Query(images.narrow(0, 0, 5)));
        Assert.Contains("only 4 of the budget of 10 remain", refused.Message);
        Assert.Equal(6, api.QueriesUsed); // nothing of the refused query was answered
        api.Query(images.narrow(0, 0, 4));
        Assert.Equal(0, api.RemainingQueries);
        Assert.Equal(2, api.Calls);
        Assert.Throws<QueryBudgetExceededException>(() => api.Query(images.narrow(0, 0, 1)));
        Assert.Throws<ArgumentOutOfRangeException>(() => new VictimApi(fixture.Model, 10, queryBudget: 0));
    }

    [Fact]
    public void TheThiefCannotReachTheVictimsWeights()
    {
        // The endpoint's public surface (and the interface the thief works with) exposes no module, no parameter and
        // no way to get at one; the thief's methods take no model.
        static bool LeaksModel(Type type) => typeof(nn.Module).IsAssignableFrom(type) || typeof(TorchSharp.Modules.Parameter).IsAssignableFrom(type);
        foreach (var type in new[] { typeof(VictimApi), typeof(IPredictionApi) })
        {
            var members = type.GetMembers(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static);
            Assert.DoesNotContain(members.OfType<PropertyInfo>(), p => LeaksModel(p.PropertyType));
            Assert.DoesNotContain(members.OfType<FieldInfo>(), f => LeaksModel(f.FieldType));
            Assert.DoesNotContain(members.OfType<MethodInfo>(), m => LeaksModel(m.ReturnType));
        }
        Assert.All(typeof(ModelThief).GetMethods(BindingFlags.Public | BindingFlags.Static).SelectMany(m => m.GetParameters()),
            p => Assert.False(LeaksModel(p.ParameterType), $"ModelThief takes a {p.ParameterType.Name} ({p.Name})"));

        // Answers carry no autograd history back to the weights.
        var api = new VictimApi(fixture.Model, 10, queryBudget: 100);
        using var scope = NewDisposeScope();
        fixture.Model.zero_grad();
        var images = fixture.Test.Images.narrow(0, 0, 8).clone().requires_grad_(true);
        var answer = api.Query(images);
        Assert.False(answer.requires_grad);
        Assert.ThrowsAny<Exception>(() => answer.sum().backward());
        Assert.All(fixture.Model.parameters(), p => Assert.True(p.grad is null || p.grad.abs().sum().item<float>() == 0));
    }

    [Fact]
    public void OutputDefensesDoWhatTheySay()
    {
        using var scope = NewDisposeScope();
        var probabilities = fixture.Model.forward(fixture.Test.Images.narrow(0, 0, 50)).softmax(1).detach();
        var top = probabilities.argmax(1);

        var rounded = new RoundedProbabilities(1).Apply(probabilities);
        Assert.True((rounded * 10 - (rounded * 10).round()).abs().max().item<float>() < 1e-4);
        Assert.True((rounded - probabilities).abs().max().item<float>() <= 0.05 + 1e-6);

        var label = new TopLabelOnly().Apply(probabilities);
        Assert.True(label.argmax(1).eq(top).all().item<bool>());
        Assert.Equal(50f, label.sum().item<float>());
        Assert.Equal(50f, label.eq(1).sum().item<long>());

        var noisy = new NoisyProbabilities(0.2, seed: 1).Apply(probabilities);
        Assert.True(noisy.argmax(1).eq(top).all().item<bool>());
        Assert.True((noisy.sum(1) - 1).abs().max().item<float>() < 1e-5);
        Assert.True(noisy.min().item<float>() >= 0);
        Assert.True((noisy - probabilities).abs().max().item<float>() > 0.05);
        Assert.Throws<ArgumentOutOfRangeException>(() => new RoundedProbabilities(-1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new NoisyProbabilities(0));
    }

    [Fact]
    public void AThiefWithAFewHundredQueriesAgreesWithTheVictimMostOfTheTime()
    {
        using var test = FashionMnist.Load(DataSplit.Test);
        using var pool = test.Subset(1500, seed: 21);
        var recipe = new TrainingRecipe { Name = "thief-test", Architecture = "mlp", Epochs = 8, BatchSize = 50, LearningRate = 2e-3, Seed = 2 };
        var api = new VictimApi(fixture.Model, 10, queryBudget: 1500);
        using var copy = ModelThief.Steal(api, pool, recipe, CPU);
        Assert.Equal(1500, api.QueriesUsed);
        double agreement = ModelAgreement.Measure(copy, fixture.Model, fixture.Test);
        Assert.True(agreement > 0.75, $"agreement {agreement:P1}");
        Assert.Equal(1.0, ModelAgreement.Measure(fixture.Model, fixture.Model, fixture.Test));

        var points = ExtractionExperiment.Run(fixture.Model, 10, [OutputDefense.None, new TopLabelOnly()], pool, [100, 1000],
            recipe with { Epochs = 4 }, fixture.Test);
        Assert.Equal(4, points.Count);
        Assert.All(points, p => Assert.InRange(p.Agreement, 0, 1));
        Assert.True(points.Single(p => p.Defense == OutputDefense.None.Name && p.Queries == 1000).Agreement
                    > points.Single(p => p.Defense == OutputDefense.None.Name && p.Queries == 100).Agreement);
    }
}
