namespace Ferry.Core.Transfers;

/// <summary>How the bytes of a transfer move.</summary>
public enum FlowStrategy
{
    /// <summary>Inside the target store (S3 CopyObject / UploadPartCopy): no bytes pass through Ferry.</summary>
    ServerSideCopy,

    /// <summary>Read from the source and written to the target in one pass.</summary>
    Streaming,

    /// <summary>Two streaming legs through a staging area (SFTP to SFTP).</summary>
    Staged,
}
