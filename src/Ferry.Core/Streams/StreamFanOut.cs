using System.Buffers;
using System.IO.Pipelines;

namespace Ferry.Core.Streams;

/// <summary>
/// Feeds one source to several readers at once through bounded pipes: the source is read once,
/// each reader gets every byte, and memory stays near <c>pauseThreshold</c> per reader (a slow
/// reader holds the pump back). A reader that stops early (its consumer failed and disposed its
/// stream) is dropped and the others carry on. A failing source fails every reader.
/// The pump hashes what it reads, once for all readers: each reader is an <see cref="IHashedSource"/>
/// that knows the SHA-256 once it has read to the end (staging and delivering one file hashed it
/// twice before, about 0.7 CPU-s per GiB each).
/// </summary>
public sealed class StreamFanOut
{
    private readonly Pipe[] _pipes;
    private readonly Stream _source;
    private readonly int _chunk;
    private volatile string? _sha256Hex;

    private StreamFanOut(Stream source, int readers, int chunk, long pauseThreshold)
    {
        _source = source;
        _chunk = chunk;
        var options = new PipeOptions(pauseWriterThreshold: pauseThreshold, resumeWriterThreshold: pauseThreshold / 2, useSynchronizationContext: false);
        _pipes = Enumerable.Range(0, readers).Select(_ => new Pipe(options)).ToArray();
        Readers = _pipes.Select(p => new Reader(p.Reader.AsStream(), this)).ToArray();
    }

    /// <summary>One stream per reader; dispose each when done with it, so the pump stops feeding it.</summary>
    public IReadOnlyList<Stream> Readers { get; }

    /// <summary>
    /// <paramref name="pauseThreshold"/>: what a pipe may hold before the pump waits for its reader.
    /// 1 MiB measured best for SFTP to SFTP (12 runs each: 4 MiB took 5 % more CPU and time, 16 MiB
    /// 9 % more CPU; the bytes go cold in the cache before the readers copy them out).
    /// </summary>
    public static StreamFanOut Create(Stream source, int readers, int chunk = 256 * 1024, long pauseThreshold = 1024 * 1024) =>
        new(source, readers, chunk, pauseThreshold);

    /// <summary>Copies the source to every live reader; completes when the source ends or no reader is left.</summary>
    public async Task PumpAsync(CancellationToken cancellationToken)
    {
        var alive = new bool[_pipes.Length];
        Array.Fill(alive, true);
        var buffer = ArrayPool<byte>.Shared.Rent(_chunk);
        using var sha256 = Sha256Hasher.Create();
        try
        {
            while (alive.Contains(true))
            {
                var n = await _source.ReadAsync(buffer.AsMemory(0, _chunk), cancellationToken).ConfigureAwait(false);
                if (n == 0)
                {
                    // Set before the pipes complete: a reader sees its end only after this.
                    _sha256Hex = Convert.ToHexStringLower(sha256.Finish());
                    break;
                }

                sha256.Append(buffer.AsSpan(0, n));
                for (var i = 0; i < _pipes.Length; i++)
                {
                    if (alive[i])
                    {
                        var result = await _pipes[i].Writer.WriteAsync(buffer.AsMemory(0, n), cancellationToken).ConfigureAwait(false);
                        alive[i] = !result.IsCompleted;
                    }
                }
            }

            foreach (var p in _pipes)
            {
                await p.Writer.CompleteAsync().ConfigureAwait(false);
            }
        }
        catch (Exception ex)
        {
            foreach (var p in _pipes)
            {
                await p.Writer.CompleteAsync(ex).ConfigureAwait(false);
            }

            throw;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>One reader's view of its pipe; knows the source's SHA-256 once it has read the end.</summary>
    private sealed class Reader(Stream pipe, StreamFanOut owner) : ReadOnlyStream, IHashedSource
    {
        private bool _ended;

        public string? Sha256Hex => _ended ? owner._sha256Hex : null;

        public override int Read(Span<byte> buffer) => Ended(pipe.Read(buffer), buffer.Length);

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            Ended(await pipe.ReadAsync(buffer, cancellationToken).ConfigureAwait(false), buffer.Length);

        private int Ended(int n, int asked)
        {
            _ended |= n == 0 && asked > 0;
            return n;
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                pipe.Dispose();
            }

            base.Dispose(disposing);
        }

        public override async ValueTask DisposeAsync()
        {
            await pipe.DisposeAsync().ConfigureAwait(false);
            await base.DisposeAsync().ConfigureAwait(false);
        }
    }
}
