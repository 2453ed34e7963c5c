namespace Ferry.Core.Transfers;

/// <summary>How much a transfer proves about the delivered file before calling it done.</summary>
public enum VerifyMode
{
    /// <summary>The target reports the source's size; its SHA-256 too where the target records one.</summary>
    Checksum,

    /// <summary>As <see cref="Checksum"/>, and the target is read back and hashed in full.</summary>
    ReadBack,
}
