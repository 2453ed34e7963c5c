using System.Security.Cryptography;
using Ferry.Core.Streams;

namespace Ferry.Core.Tests.Streams;

public sealed class Sha256HasherTests
{
    [Fact]
    public void CanSaveState_OnLinux_IsTrue()
    {
        // Resume depends on it; on the Linux machines Ferry runs on, OpenSSL's libcrypto is there.
        Assert.True(!OperatingSystem.IsLinux() || Sha256Hasher.CanSaveState, "libcrypto's SHA256_* functions were not found or failed the self-test");
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(63)]
    [InlineData(64)]
    [InlineData(65)]
    [InlineData(4097)]
    [InlineData(99_999)]
    public void SavedAndRestored_AtAnyOffset_GivesTheHashOfTheWhole(int offset)
    {
        var data = RandomNumberGenerator.GetBytes(100_000);
        string state;
        using (var first = Sha256Hasher.Create())
        {
            first.Append(data.AsSpan(0, offset));
            state = first.SaveState();
        }

        using var resumed = Sha256Hasher.Restore(state, offset);
        resumed.Append(data.AsSpan(offset));

        Assert.Equal(SHA256.HashData(data), resumed.Finish());
    }

    [Fact]
    public void Restore_StateOfAnotherLength_IsRejected()
    {
        using var h = Sha256Hasher.Create();
        h.Append(new byte[100]);
        var state = h.SaveState();

        Assert.Throws<FormatException>(() => Sha256Hasher.Restore(state, 99));
        Assert.Throws<FormatException>(() => Sha256Hasher.Restore(state[..^4], 100));
        Assert.Throws<FormatException>(() => Sha256Hasher.Restore("not base64!", 100));
    }

    [Fact]
    public async Task ExactLengthReadStream_Resuming_HashesTheWholeSource()
    {
        var data = RandomNumberGenerator.GetBytes(50_000);
        string state;
        await using (var first = new ExactLengthReadStream(new MemoryStream(data), data.Length, default))
        {
            await first.ReadExactlyAsync(new byte[12_345]);
            state = first.SaveSha256State();
        }

        await using var rest = ExactLengthReadStream.Resuming(new MemoryStream(data, 12_345, data.Length - 12_345), data.Length, 12_345, state, default);
        Assert.Equal(12_345, rest.Position);
        await rest.CopyToAsync(Stream.Null);

        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(data)), rest.Sha256Hex());
    }
}
