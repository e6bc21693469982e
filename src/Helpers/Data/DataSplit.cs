namespace ModelSecurity.Data;

/// <summary>Which part of a data set to load.</summary>
public enum DataSplit
{
    /// <summary>The training split (60 000 images for MNIST and Fashion-MNIST).</summary>
    Train,

    /// <summary>The test split (10 000 images for MNIST and Fashion-MNIST).</summary>
    Test,
}
