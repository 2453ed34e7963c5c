using System.Security.Cryptography;

namespace Ferry.TestRig;

/// <summary>
/// Reproducible pseudo-random content of any size, generated as it is read (never held whole),
/// so tests can make 300 MB sources and know their SHA-256 without storing a copy.
/// </summary>
public sealed class RandomData : Stream
{
    private readonly long _length;
    private ulong _state;
    private long _position;

    public RandomData(long length, int seed)
    {
        _length = length;
        _state = 0x9E3779B97F4A7C15UL ^ (ulong)seed;
    }

    public static async Task<string> Sha256Async(long length, int seed)
    {
        await using var data = new RandomData(length, seed);
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[1 << 20];
        int n;
        while ((n = await data.ReadAsync(buffer)) > 0)
        {
            sha.AppendData(buffer, 0, n);
        }

        return Convert.ToHexStringLower(sha.GetHashAndReset());
    }

    /// <summary>Writes the content to a local file and returns its SHA-256.</summary>
    public static async Task<string> WriteFileAsync(string path, long length, int seed)
    {
        await using (var data = new RandomData(length, seed))
        await using (var file = File.Create(path))
        {
            await data.CopyToAsync(file, 1 << 20);
        }

        return await Sha256Async(length, seed);
    }

    public static async Task<string> Sha256OfFileAsync(string path)
    {
        await using var file = File.OpenRead(path);
        return Convert.ToHexStringLower(await SHA256.HashDataAsync(file));
    }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => _length;

    public override long Position
    {
        get => _position;
        set => throw new NotSupportedException();
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        var n = (int)Math.Min(buffer.Length, _length - _position);
        // Position-aligned 8-byte words from xorshift64*, so content depends only on (seed, offset)
        // as long as reads are sequential.
        for (var i = 0; i < n; i++)
        {
            if (((_position + i) & 7) == 0)
            {
                _state ^= _state >> 12;
                _state ^= _state << 25;
                _state ^= _state >> 27;
            }

            buffer[i] = (byte)((_state * 0x2545F4914F6CDD1DUL) >> (int)(((_position + i) & 7) * 8));
        }

        _position += n;
        return n;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        Task.FromResult(Read(buffer.AsSpan(offset, count)));

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(Read(buffer.Span));

    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
