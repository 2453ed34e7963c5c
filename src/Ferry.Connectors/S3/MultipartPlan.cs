namespace Ferry.Connectors.S3;

/// <summary>
/// How an object of a given size is cut into parts. S3 allows at most 10,000 parts of 5 MiB to
/// 5 GiB (the last part may be smaller), so the part size grows with the object: 30 GB fits in
/// 8 MiB parts, 1 TB needs 105 MiB. Parts in flight shrink as parts grow so upload memory stays
/// within the budget, but never below two (one uploading while the next is read).
/// </summary>
public sealed record MultipartPlan(long PartSize, int PartCount, int PartsInFlight)
{
    public const int MaxParts = 10_000;
    public const long MinAllowedPart = 5L * 1024 * 1024;
    public const long MaxAllowedPart = 5L * 1024 * 1024 * 1024;
    public const long MaxObjectSize = 5L * 1024 * 1024 * 1024 * 1024;

    public static MultipartPlan For(long length, long minPartSize, int maxInFlight, long memoryBudget)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        if (length > MaxObjectSize)
        {
            throw new ArgumentOutOfRangeException(nameof(length), $"S3 objects are limited to 5 TiB; this one is {length} bytes");
        }

        const long MiB = 1024 * 1024;
        var needed = (length + MaxParts - 1) / MaxParts;
        // Whole MiB: a part ends where a fan-out that hashed the bytes kept its hash state
        // (StreamFanOut.SnapshotInterval), so a checkpoint after it needs no hash of its own.
        var partSize = (Math.Max(Math.Max(minPartSize, MinAllowedPart), needed) + MiB - 1) / MiB * MiB;
        partSize = Math.Min(partSize, MaxAllowedPart);
        var count = (int)Math.Max(1, (length + partSize - 1) / partSize);
        var inFlight = (int)Math.Clamp(memoryBudget / partSize, 2, Math.Max(2, maxInFlight));
        return new MultipartPlan(partSize, count, Math.Min(inFlight, count));
    }

    public long LengthOfPart(int partNumber, long totalLength) =>
        partNumber < PartCount ? PartSize : totalLength - (PartSize * (PartCount - 1));
}
