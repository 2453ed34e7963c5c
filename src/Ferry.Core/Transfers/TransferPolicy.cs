namespace Ferry.Core.Transfers;

/// <summary>The data-plane part of a job's policy.</summary>
public sealed record TransferPolicy(OverwriteMode Overwrite = OverwriteMode.Overwrite, VerifyMode Verify = VerifyMode.Checksum)
{
    public static readonly TransferPolicy Default = new();
}
