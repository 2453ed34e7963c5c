namespace Ferry.Core.Connectors;

/// <summary>How <see cref="IConnector.ListAsync"/> walks a directory or prefix.</summary>
/// <param name="Recursive">Descend into sub-directories (for S3: no delimiter).</param>
/// <param name="PageSize">Entries asked for per round trip, where the store pages (S3: max 1000).</param>
public sealed record ListOptions(bool Recursive = false, int PageSize = 1000)
{
    public static readonly ListOptions Default = new();
}
