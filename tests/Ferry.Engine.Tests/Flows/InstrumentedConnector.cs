using Ferry.Core.Connectors;
using Ferry.Core.Errors;

namespace Ferry.Engine.Tests.Flows;

/// <summary>
/// Wraps a real connector to count stats, reads and writes and, when asked, to break the first write
/// after a number of bytes the way a dropped connection would. Everything else goes to the real server.
/// </summary>
internal sealed class InstrumentedConnector(IConnector inner, long? failFirstWriteAfter = null) : IConnector
{
    private int _opens;
    private int _writes;
    private int _stats;

    public int Opens => _opens;

    public int Writes => _writes;

    public int Stats => _stats;

    public string Scheme => inner.Scheme;

    public string Describe(string path) => inner.Describe(path);

    public IAsyncEnumerable<RemoteEntry> ListAsync(string path, ListOptions options, CancellationToken cancellationToken) =>
        inner.ListAsync(path, options, cancellationToken);

    public Task<RemoteEntry?> StatAsync(string path, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _stats);
        return inner.StatAsync(path, cancellationToken);
    }

    public Task<Stream> OpenReadAsync(string path, long offset, long? length, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _opens);
        return inner.OpenReadAsync(path, offset, length, cancellationToken);
    }

    public async Task<WriteResult> WriteAsync(string path, Stream content, long length, WriteOptions options, CancellationToken cancellationToken)
    {
        if (Interlocked.Increment(ref _writes) > 1 || failFirstWriteAfter is not { } limit)
        {
            return await inner.WriteAsync(path, content, length, options, cancellationToken);
        }

        var buffer = new byte[64 * 1024];
        long read = 0;
        int n;
        while (read < limit && (n = await content.ReadAsync(buffer, cancellationToken)) > 0)
        {
            read += n;
        }

        throw FerryException.Transient(ErrorCodes.ConnectionFailed, $"{Describe(path)}: simulated connection loss after {read} bytes");
    }

    public Task DeleteAsync(string path, CancellationToken cancellationToken) => inner.DeleteAsync(path, cancellationToken);

    public Task RenameAsync(string from, string to, CancellationToken cancellationToken) => inner.RenameAsync(from, to, cancellationToken);

    public Task CreateDirectoryAsync(string path, CancellationToken cancellationToken) => inner.CreateDirectoryAsync(path, cancellationToken);

    public T? GetCapability<T>() where T : class => inner.GetCapability<T>();

    public ValueTask DisposeAsync() => inner.DisposeAsync();
}
