using System.Runtime.CompilerServices;
using Ferry.Core.Connectors;
using Ferry.Core.Errors;
using Ferry.Core.Paths;
using Ferry.Core.Streams;
using Renci.SshNet;
using Renci.SshNet.Common;
using Renci.SshNet.Sftp;

namespace Ferry.Connectors.Sftp;

/// <summary>
/// SFTP on SSH.NET. Every path is confined to <see cref="SftpEndpointOptions.BasePath"/>;
/// uploads use SSH.NET's pipelined UploadFile (writing through SftpFileStream is not pipelined
/// and measured 0.3x OpenSSH); renames use posix-rename where the server has it. Stats are one
/// request answered by callback (<see cref="SftpDirectStat"/>); every other call but listing and
/// reading file data goes through <see cref="SftpBlockingCalls"/> (why: see there).
/// </summary>
public sealed partial class SftpConnector : IConnector, IAtomicRename, IHasFeatures
{
    private readonly SftpEndpointOptions _options;
    private readonly SftpConnectionPool _pool;
    private readonly string _base;

    public SftpConnector(SftpEndpointOptions options, TimeProvider? time = null)
    {
        _options = options;
        _base = NormalizeBase(options.BasePath);
        _pool = new SftpConnectionPool(options, time);
    }

    public string Scheme => "sftp";

    public ConnectorFeatures Features { get; } = new(RecordsSha256: false, HasDirectories: true);

    /// <summary>The host key presented on the latest connection ("SHA256:..."), for trust-on-first-use.</summary>
    public string? LastPresentedHostKey => _pool.LastPresentedHostKey;

    /// <summary>The cipher negotiated on the latest connection.</summary>
    public string? LastCipher => _pool.LastCipher;

    /// <summary>Whether the most recent connection's socket blocks in the kernel (for tests and diagnostics).</summary>
    internal bool SocketBlocks => _pool.SocketBlocks;

    /// <summary>The receive buffer of the most recent connection's socket (for tests and diagnostics).</summary>
    internal int SocketReceiveBuffer => _pool.SocketReceiveBuffer;

    /// <summary>
    /// The faster paths through SSH.NET's internals this process has given up (an SSH.NET version
    /// that moved them, or a build that trimmed them away), each with why: the public API then does
    /// the work, slower and never wrong. Empty while all are in use.
    /// </summary>
    public static IReadOnlyList<string> Fallbacks =>
    [
        .. SftpDirectStat.FallbackReason is { } stat ? [$"stats through SSH.NET's two-request GetAttributes ({stat})"] : Array.Empty<string>(),
        .. SftpFileRequests.FallbackReason is { } reads ? [$"reads through SSH.NET's SftpFileStream ({reads})"] : Array.Empty<string>(),
        .. _writerUnavailable is { } writes ? [$"writes through SSH.NET's UploadFile, 32 KiB a request, and part files start over ({writes})"] : Array.Empty<string>(),
    ];

    public string Describe(string path) =>
        $"sftp://{_options.Username}@{_options.Host}:{_options.Port}/{RemotePath.Combine(_base, SafeNormalize(path)).TrimStart('/')}";

    public T? GetCapability<T>() where T : class => this as T;

    /// <summary>Connects (or reuses a connection) and checks that the base path is a directory.</summary>
    public Task CheckAsync(CancellationToken cancellationToken) =>
        RunAsync("", async c =>
        {
            var attrs = await SftpDirectStat.StatAsync(c, Full(""), cancellationToken).ConfigureAwait(false);
            if (!attrs.IsDirectory)
            {
                throw FerryException.Permanent(ErrorCodes.InvalidConfiguration, $"{Describe("")}: the base path is not a directory");
            }

            return true;
        }, cancellationToken);

    public async IAsyncEnumerable<RemoteEntry> ListAsync(string path, ListOptions options, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var pending = new Stack<string>();
        pending.Push(RemotePath.Normalize(path));
        while (pending.Count > 0)
        {
            var dir = pending.Pop();
            // One directory is read completely before its entries are yielded, so the connection
            // goes back to the pool and a caller that acts on each entry cannot starve it.
            var entries = await RunAsync(dir, async c =>
            {
                var list = new List<RemoteEntry>();
                await foreach (var f in c.ListDirectoryAsync(Full(dir), cancellationToken).ConfigureAwait(false))
                {
                    if (f.Name is "." or "..")
                    {
                        continue;
                    }

                    var rel = dir.Length == 0 ? f.Name : dir + "/" + f.Name;
                    var file = f.IsSymbolicLink ? await TryFollowAsync(c, f, cancellationToken).ConfigureAwait(false) : f.Attributes;
                    if (file is not null && (file.IsDirectory || file.IsRegularFile))
                    {
                        list.Add(ToEntry(rel, file));
                    }
                }

                return list;
            }, cancellationToken).ConfigureAwait(false);

            foreach (var e in entries)
            {
                yield return e;
                if (options.Recursive && e.IsDirectory)
                {
                    pending.Push(e.Path);
                }
            }
        }
    }

    public Task<RemoteEntry?> StatAsync(string path, CancellationToken cancellationToken)
    {
        var rel = RemotePath.Normalize(path);
        return RunAsync(rel, c => StatOnAsync(c, rel, cancellationToken), cancellationToken);
    }

    /// <summary>The entry at <paramref name="rel"/> (null: nothing there), asked on connection <paramref name="c"/>.</summary>
    private async Task<RemoteEntry?> StatOnAsync(SftpClient c, string rel, CancellationToken cancellationToken)
    {
        try
        {
            var attributes = await SftpDirectStat.StatAsync(c, Full(rel), cancellationToken).ConfigureAwait(false);
            return ToEntry(rel, attributes);
        }
        catch (SftpPathNotFoundException)
        {
            return null;
        }
    }

    public Task<Stream> OpenReadAsync(string path, long offset, long? length, CancellationToken cancellationToken) =>
        OpenReadAsync(path, offset, length, expectedEnd: null, cancellationToken);

    public Task<Stream> OpenReadToEndAsync(string path, long offset, long expectedSize, CancellationToken cancellationToken) =>
        OpenReadAsync(path, offset, length: null, expectedEnd: expectedSize, cancellationToken);

    private async Task<Stream> OpenReadAsync(string path, long offset, long? length, long? expectedEnd, CancellationToken cancellationToken)
    {
        var rel = RemotePath.Normalize(path);
        var lease = await _pool.RentAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            // Reads answered by callback cost about a third less CPU than SSH.NET's SftpFileStream
            // (see SftpCallbackReadStream); that stream stays as the fallback if the internals move.
            if (SftpFileRequests.Available)
            {
                try
                {
                    // Read to the end for a caller that will look at the file again afterwards: the look goes with the close.
                    var lookAgain = expectedEnd is null ? null : (Func<Task<RemoteEntry?>>)(() => StatOnAsync(lease.Client, rel, CancellationToken.None));
                    return await SftpCallbackReadStream.OpenAsync(lease, Full(rel), offset, length, expectedEnd, Describe(rel), _options.ReadLength, cancellationToken, lookAgain)
                        .ConfigureAwait(false);
                }
                catch (Exception ex) when (SftpSessionAccess.IsUnbound(ex))
                {
                    SftpFileRequests.GiveUp(ex);
                }
            }

            var stream = await SftpBlockingCalls.Run(() => lease.Client.Open(Full(rel), FileMode.Open, FileAccess.Read), cancellationToken).ConfigureAwait(false);
            if (offset > 0)
            {
                stream.Seek(offset, SeekOrigin.Begin);
            }

            return new SftpReadStream(stream, lease, length, Describe(rel));
        }
        catch (Exception ex)
        {
            var fe = SftpErrors.Classify(ex, Describe(rel));
            if (fe.IsTransient || ex is OperationCanceledException)
            {
                lease.MarkBroken();
            }

            lease.Dispose();
            if (ex is OperationCanceledException && cancellationToken.IsCancellationRequested)
            {
                throw;
            }

            throw fe;
        }
    }

    public Task DeleteAsync(string path, CancellationToken cancellationToken)
    {
        var rel = RemotePath.Normalize(path);
        return RunAsync(rel, async c =>
        {
            try
            {
                await SftpBlockingCalls.Run(() => c.DeleteFile(Full(rel)), cancellationToken).ConfigureAwait(false);
            }
            catch (SftpPathNotFoundException)
            {
                // Already gone: the goal state holds.
            }

            return true;
        }, cancellationToken);
    }

    public async Task CreateDirectoryAsync(string path, CancellationToken cancellationToken)
    {
        var rel = RemotePath.Normalize(path);
        if (rel.Length == 0)
        {
            return;
        }

        await RunAsync(rel, async c =>
        {
            var built = "";
            foreach (var segment in rel.Split('/'))
            {
                built = built.Length == 0 ? segment : built + "/" + segment;
                if (await ExistsAsync(c, built, cancellationToken).ConfigureAwait(false))
                {
                    continue;
                }

                try
                {
                    await SftpBlockingCalls.Run(() => c.CreateDirectory(Full(built)), cancellationToken).ConfigureAwait(false);
                }
                catch (SshException)
                {
                    // Another writer may have created it between our check and our mkdir.
                    if (!await ExistsAsync(c, built, cancellationToken).ConfigureAwait(false))
                    {
                        throw;
                    }
                }
            }

            return true;
        }, cancellationToken).ConfigureAwait(false);
    }

    public ValueTask DisposeAsync() => _pool.DisposeAsync();

    private async Task<T> RunAsync<T>(string rel, Func<SftpClient, Task<T>> operation, CancellationToken cancellationToken)
    {
        using var lease = await _pool.RentAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await operation(lease.Client).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Requests may still be in flight on this connection; do not hand it to anyone else.
            lease.MarkBroken();
            throw;
        }
        catch (Exception ex)
        {
            if (ex is SourceStreamException)
            {
                // The upload was cut off mid-way: the session may hold an open handle.
                lease.MarkBroken();
                SourceStreamException.RethrowIfSource(ex);
            }

            var fe = SftpErrors.Classify(ex, Describe(rel));
            if (fe.IsTransient)
            {
                lease.MarkBroken();
            }

            throw fe;
        }
    }

    private async Task<bool> ExistsAsync(SftpClient c, string rel, CancellationToken cancellationToken)
    {
        try
        {
            _ = await SftpDirectStat.StatAsync(c, Full(rel), cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (SftpPathNotFoundException)
        {
            return false;
        }
    }

    private static async Task<SftpFileAttributes?> TryFollowAsync(SftpClient c, ISftpFile link, CancellationToken cancellationToken)
    {
        try
        {
            return await SftpDirectStat.StatAsync(c, link.FullName, cancellationToken).ConfigureAwait(false);
        }
        catch (SshException)
        {
            return null; // a dangling link is not a file to transfer
        }
    }

    private string Full(string rel)
    {
        var full = RemotePath.Combine(_base, rel);
        return full.Length == 0 ? "." : full;
    }

    private static RemoteEntry ToEntry(string rel, SftpFileAttributes a) =>
        new(rel, a.IsDirectory, a.IsDirectory ? 0 : a.Size, new DateTimeOffset(DateTime.SpecifyKind(a.LastWriteTimeUtc, DateTimeKind.Utc)));

    private static string NormalizeBase(string basePath)
    {
        if (string.IsNullOrWhiteSpace(basePath) || basePath.Trim() == ".")
        {
            return "";
        }

        var rest = RemotePath.Normalize(basePath);
        return basePath.StartsWith('/') ? "/" + rest : rest;
    }

    private static string SafeNormalize(string path)
    {
        try
        {
            return RemotePath.Normalize(path);
        }
        catch (FerryException)
        {
            return "(invalid path)";
        }
    }
}
