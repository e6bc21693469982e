namespace ModelSecurity.Poisoning;

/// <summary>Where a <see cref="BackdoorTrigger"/> goes.</summary>
public enum TriggerCorner
{
    /// <summary>Top left.</summary>
    TopLeft,

    /// <summary>Top right.</summary>
    TopRight,

    /// <summary>Bottom left.</summary>
    BottomLeft,

    /// <summary>Bottom right.</summary>
    BottomRight,
}
