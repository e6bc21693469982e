using ModelSecurity.Data;

namespace ModelSecurity.Tests.Federated;

/// <summary>Small Fashion-MNIST subsets shared by the federated simulation tests (loaded once).</summary>
public sealed class FederatedDataFixture : IDisposable
{
    public FederatedDataFixture()
    {
        using var train = FashionMnist.Load(DataSplit.Train);
        Train = train.Subset(1000, seed: 11);
        using var test = FashionMnist.Load(DataSplit.Test);
        Test = test.Subset(300, seed: 12);
    }

    /// <summary>1000 random training examples.</summary>
    public ImageDataset Train { get; }

    /// <summary>300 random test examples.</summary>
    public ImageDataset Test { get; }

    public void Dispose()
    {
        Train.Dispose();
        Test.Dispose();
    }
}

[CollectionDefinition(Name)]
public sealed class FederatedDataCollection : ICollectionFixture<FederatedDataFixture>
{
    public const string Name = "Federated: Fashion-MNIST subsets";
}
