using System.Runtime.CompilerServices;
using Ferry.Core.Connectors;
using Ferry.Core.Errors;
using Ferry.Core.Paths;
using Ferry.Core.Streams;

namespace Ferry.Connectors.Local;

/// <summary>
/// A directory on this machine: the embedded default's staging area, and local paths given to
/// <c>ferry copy</c>. Paths are confined to the base directory. Writes that ask for checkpoints
/// can be continued (LocalConnector.Resume.cs).
/// </summary>
public sealed partial class LocalConnector : IConnector, IAtomicRename, IHasFeatures
{
    private const int BufferSize = 1024 * 1024;
    private readonly string _base;
    private readonly bool _removesEmptiedDirectories;

    public LocalConnector(string baseDirectory)
        : this(baseDirectory, removesEmptiedDirectories: false)
    {
    }

    private LocalConnector(string baseDirectory, bool removesEmptiedDirectories)
    {
        _base = Path.GetFullPath(baseDirectory);
        _removesEmptiedDirectories = removesEmptiedDirectories;
    }

    /// <summary>
    /// A staging area, where a delete also removes the directories it leaves empty (up to the base,
    /// never the base). Each transfer stages under a directory of its own, which would otherwise be
    /// left behind, empty, by every delivered copy. Not for users' directories: emptying a folder
    /// there must not make it vanish.
    /// </summary>
    public static LocalConnector ForStaging(string baseDirectory) => new(baseDirectory, removesEmptiedDirectories: true);

    public string Scheme => "local";

    public ConnectorFeatures Features { get; } = new(RecordsSha256: false, HasDirectories: true);

    public string BaseDirectory => _base;

    public string Describe(string path)
    {
        try
        {
            return Full(path);
        }
        catch (FerryException)
        {
            return Path.Combine(_base, "(invalid path)");
        }
    }

    public T? GetCapability<T>() where T : class => this as T;

    public async IAsyncEnumerable<RemoteEntry> ListAsync(string path, ListOptions options, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var rel = RemotePath.Normalize(path);
        var dir = Full(rel);
        if (!Directory.Exists(dir))
        {
            throw FerryException.NotFound(dir);
        }

        var enumeration = new EnumerationOptions { RecurseSubdirectories = options.Recursive, IgnoreInaccessible = false, AttributesToSkip = 0 };
        foreach (var info in new DirectoryInfo(dir).EnumerateFileSystemInfos("*", enumeration))
        {
            cancellationToken.ThrowIfCancellationRequested();
            var childRel = Path.GetRelativePath(_base, info.FullName).Replace(Path.DirectorySeparatorChar, '/');
            yield return ToEntry(childRel, info);
        }

        await Task.CompletedTask.ConfigureAwait(false);
    }

    public Task<RemoteEntry?> StatAsync(string path, CancellationToken cancellationToken)
    {
        var rel = RemotePath.Normalize(path);
        var full = Full(rel);
        FileSystemInfo info = Directory.Exists(full) ? new DirectoryInfo(full) : new FileInfo(full);
        return Task.FromResult(info.Exists ? ToEntry(rel, info) : null);
    }

    public Task<Stream> OpenReadAsync(string path, long offset, long? length, CancellationToken cancellationToken)
    {
        var full = Full(path);
        try
        {
            var stream = new FileStream(full, FileMode.Open, FileAccess.Read, FileShare.Read, BufferSize, FileOptions.Asynchronous | FileOptions.SequentialScan);
            stream.Seek(offset, SeekOrigin.Begin);
            Stream result = length is { } l ? new BoundedStream(stream, l) : stream;
            return Task.FromResult(result);
        }
        catch (Exception ex)
        {
            throw Classify(ex, full);
        }
    }

    public async Task<WriteResult> WriteAsync(string path, Stream content, long length, WriteOptions options, CancellationToken cancellationToken)
    {
        var full = Full(path);
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(full)!);
            await using var source = ExactLengthReadStream.ForWrite(content, length, options, cancellationToken);
            await using (var target = OpenForWrite(full, options))
            {
                if (options.Checkpointed is { } report && Sha256Hasher.CanSaveState)
                {
                    await CopyWithCheckpointsAsync(source, target, path, report, cancellationToken).ConfigureAwait(false);
                }
                else
                {
                    await source.CopyToAsync(target, BufferSize, cancellationToken).ConfigureAwait(false);
                }
            }

            await source.EnsureSourceExhaustedAsync(cancellationToken).ConfigureAwait(false);
            var sha256 = source.Sha256Hex();
            if (options.Sha256 is { } expected && !Checksums.SameHex(expected, sha256))
            {
                throw FerryException.Transient(ErrorCodes.ChecksumMismatch, $"{full}: the bytes written hash to {sha256}, not the expected {expected}");
            }

            return new WriteResult(new FileInfo(full).Length, sha256);
        }
        catch (IOException ex) when (options.CreateOnly && File.Exists(full) && ex.HResult != 0 && ex is not FileNotFoundException)
        {
            throw FerryException.Permanent(ErrorCodes.AlreadyExists, $"{full} already exists", ex);
        }
        catch (Exception ex) when (ex is not FerryException and not OperationCanceledException)
        {
            SourceStreamException.RethrowIfSource(ex);
            throw Classify(ex, full);
        }
    }

    public Task DeleteAsync(string path, CancellationToken cancellationToken)
    {
        var full = Full(path);
        try
        {
            File.Delete(full);
            if (_removesEmptiedDirectories)
            {
                RemoveEmptiedDirectories(Path.GetDirectoryName(full));
            }

            return Task.CompletedTask;
        }
        catch (DirectoryNotFoundException)
        {
            return Task.CompletedTask; // no such directory, so no such file: the goal state holds
        }
        catch (Exception ex)
        {
            throw Classify(ex, full);
        }
    }

    private void RemoveEmptiedDirectories(string? dir)
    {
        for (; dir is not null && dir.Length > _base.Length && dir.StartsWith(_base, StringComparison.Ordinal); dir = Path.GetDirectoryName(dir))
        {
            try
            {
                Directory.Delete(dir); // only if empty
            }
            catch (DirectoryNotFoundException)
            {
                // Gone already; its parent may be empty now too.
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                return; // not empty (or not ours to remove): what is above it is not empty either
            }
        }
    }

    public async Task RenameAsync(string from, string to, CancellationToken cancellationToken) =>
        await RenameAtomicAsync(from, to, replaceExisting: true, cancellationToken).ConfigureAwait(false);

    public Task<RenameOutcome> RenameAtomicAsync(string from, string to, bool replaceExisting, CancellationToken cancellationToken)
    {
        var source = Full(from);
        var target = Full(to);
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Move(source, target, overwrite: replaceExisting);
            return Task.FromResult(RenameOutcome.Atomic);
        }
        catch (IOException ex) when (!replaceExisting && File.Exists(target))
        {
            throw FerryException.Permanent(ErrorCodes.AlreadyExists, $"{target} already exists", ex);
        }
        catch (Exception ex)
        {
            throw Classify(ex, source);
        }
    }

    public Task CreateDirectoryAsync(string path, CancellationToken cancellationToken)
    {
        var full = Full(path);
        try
        {
            Directory.CreateDirectory(full);
            return Task.CompletedTask;
        }
        catch (Exception ex)
        {
            throw Classify(ex, full);
        }
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private string Full(string path)
    {
        var rel = RemotePath.Normalize(path);
        return rel.Length == 0 ? _base : Path.Combine(_base, rel.Replace('/', Path.DirectorySeparatorChar));
    }

    private static RemoteEntry ToEntry(string rel, FileSystemInfo info) =>
        new(rel, info is DirectoryInfo, info is FileInfo f ? f.Length : 0, new DateTimeOffset(info.LastWriteTimeUtc, TimeSpan.Zero));

    private static FerryException Classify(Exception ex, string where) => ex switch
    {
        FerryException fe => fe,
        FileNotFoundException or DirectoryNotFoundException => FerryException.Permanent(ErrorCodes.NotFound, $"{where}: no such file or directory", ex),
        UnauthorizedAccessException => FerryException.Permanent(ErrorCodes.PermissionDenied, $"{where}: permission denied", ex),
        PathTooLongException => FerryException.Permanent(ErrorCodes.InvalidPath, $"{where}: path too long", ex),
        _ => FerryException.Transient(ErrorCodes.ServerError, $"{where}: {ex.Message}", ex),
    };
}
