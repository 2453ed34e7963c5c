using System.Buffers;
using Ferry.Core.Connectors;
using Ferry.Core.Streams;

namespace Ferry.Connectors.Local;

/// <summary>
/// Continuable local writes (the staging copy of an SFTP-to-SFTP transfer): a write that asks for
/// checkpoints reports one at its start and then every <see cref="CheckpointInterval"/>, each only
/// after the bytes up to it were flushed to disk, so a checkpoint survives a crash of the machine
/// as well as of the process. A continued write opens the file without truncating it, cuts it back
/// to the checkpoint and writes the rest.
/// </summary>
public sealed partial class LocalConnector : IResumableWrites
{
    /// <summary>
    /// Between checkpoints. Each costs an fsync of what was written since; measured on the 2-core
    /// VM, 1 GiB written with an fsync every 16 MiB took no longer than without (1.2-1.8 s against 3.2).
    /// </summary>
    public const long CheckpointInterval = 16L * 1024 * 1024;

    public Task<bool> CanResumeAsync(WriteCheckpoint checkpoint, long length, CancellationToken cancellationToken)
    {
        if (!Sha256Hasher.CanSaveState || checkpoint.Offset > length)
        {
            return Task.FromResult(false);
        }

        try
        {
            Sha256Hasher.Restore(checkpoint.Sha256State, checkpoint.Offset).Dispose();
        }
        catch (FormatException)
        {
            return Task.FromResult(false);
        }

        var file = new FileInfo(Full(checkpoint.Path));
        return Task.FromResult(file.Exists && file.Length >= checkpoint.Offset && file.Length <= length);
    }

    public Task DiscardAsync(WriteCheckpoint checkpoint, CancellationToken cancellationToken) => DeleteAsync(checkpoint.Path, cancellationToken);

    private static FileStream OpenForWrite(string full, WriteOptions options)
    {
        if (options.ResumeFrom is not { Offset: > 0 } resume)
        {
            return new FileStream(full, options.CreateOnly ? FileMode.CreateNew : FileMode.Create, FileAccess.Write, FileShare.None, BufferSize, FileOptions.None);
        }

        var target = new FileStream(full, FileMode.Open, FileAccess.Write, FileShare.None, BufferSize, FileOptions.None);
        target.SetLength(resume.Offset);
        target.Position = resume.Offset;
        return target;
    }

    /// <summary>
    /// Copies in pieces that end on each checkpoint boundary. At a boundary the bytes are handed to
    /// the OS and the hash state taken; the fsync and the checkpoint's report then run beside the
    /// copy (one at a time; a boundary reached while one runs is skipped), so the disk's flush
    /// latency never stalls the source (a staging copy holds back the delivery fed from the same read).
    /// </summary>
    private static async Task CopyWithCheckpointsAsync(ExactLengthReadStream source, FileStream target, string path, Action<WriteCheckpoint> report, CancellationToken cancellationToken)
    {
        if (source.Position == 0)
        {
            // The file exists from now on: whoever gives up on the transfer must be able to remove it.
            report(new WriteCheckpoint(path, 0, source.SaveSha256State(), Store: ""));
        }

        var buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
        var flushing = Task.CompletedTask;
        try
        {
            var nextMark = ((source.Position / CheckpointInterval) + 1) * CheckpointInterval;
            int read;
            while ((read = await source.ReadAsync(buffer.AsMemory(0, (int)Math.Min(BufferSize, nextMark - source.Position)), cancellationToken).ConfigureAwait(false)) > 0)
            {
                await target.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
                if (source.Position == nextMark)
                {
                    if (source.Remaining > 0 && flushing.IsCompleted)
                    {
                        await flushing.ConfigureAwait(false); // a failed flush fails the write
                        await target.FlushAsync(cancellationToken).ConfigureAwait(false);
                        var checkpoint = new WriteCheckpoint(path, nextMark, source.SaveSha256State(), Store: "");
                        var handle = target.SafeFileHandle;
                        flushing = Task.Run(() =>
                        {
                            RandomAccess.FlushToDisk(handle);
                            report(checkpoint);
                        }, CancellationToken.None);
                    }

                    nextMark += CheckpointInterval;
                }
            }
        }
        finally
        {
            // The file is closed after this: no flush may still be using its handle.
            await flushing.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
