namespace Ferry.Core.Connectors;

/// <summary>What a write or copy stored.</summary>
/// <param name="Size">Bytes the store reports for the new file.</param>
/// <param name="Sha256">SHA-256 of the bytes written, when known (computed while streaming or recorded by the store).</param>
/// <param name="ETag">S3 entity tag of the new object, unquoted.</param>
/// <param name="ServerVerified">
/// True when the store itself confirmed the content end to end (S3: every PUT or part checked
/// against the hash Ferry sent with it, and an object ETag that matches the parts'), not only the size.
/// </param>
public sealed record WriteResult(long Size, string? Sha256, string? ETag = null, bool ServerVerified = false);
