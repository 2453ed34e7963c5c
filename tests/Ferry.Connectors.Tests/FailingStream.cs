namespace Ferry.Connectors.Tests;

/// <summary>A source that breaks part-way, like a dropped SFTP connection; with no limit, a stream that counts what was read (<see cref="Position"/>).</summary>
internal sealed class FailingStream(Stream inner, long failAfter) : Stream
{
    private long _read;

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => inner.Length;
    public override long Position { get => _read; set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count)
    {
        if (_read >= failAfter)
        {
            throw new IOException("simulated connection loss");
        }

        var n = inner.Read(buffer, offset, (int)Math.Min(count, failAfter - _read));
        _read += n;
        return n;
    }

    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    /// <summary>Reads and drops the first <paramref name="bytes"/> of <paramref name="s"/>: the rest of a source, for a write that resumes.</summary>
    public static async Task<Stream> SkipAsync(Stream s, long bytes)
    {
        var buffer = new byte[1 << 20];
        while (bytes > 0)
        {
            bytes -= await s.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, bytes)));
        }

        return s;
    }
}
