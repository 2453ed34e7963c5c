namespace Ferry.Core.Transfers;

/// <summary>A progress report: bytes moved so far, out of how many, and the recent rate.</summary>
public readonly record struct TransferProgress(long Bytes, long TotalBytes, double BytesPerSecond, string Stage)
{
    public TimeSpan? EstimatedRemaining =>
        BytesPerSecond > 0 && TotalBytes >= Bytes ? TimeSpan.FromSeconds((TotalBytes - Bytes) / BytesPerSecond) : null;
}
