namespace Ferry.Core.Transfers;

/// <summary>What a transfer does when the target path already holds a file.</summary>
public enum OverwriteMode
{
    /// <summary>Replace it.</summary>
    Overwrite,

    /// <summary>Leave it and report the transfer skipped if it has the same size and SHA-256; replace it otherwise.</summary>
    SkipIfIdentical,

    /// <summary>Fail with ALREADY_EXISTS; decided atomically where the store allows.</summary>
    FailIfExists,
}
