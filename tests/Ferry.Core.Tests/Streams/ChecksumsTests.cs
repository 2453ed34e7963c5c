using System.Security.Cryptography;
using Ferry.Core.Streams;

namespace Ferry.Core.Tests.Streams;

public sealed class ChecksumsTests
{
    [Fact]
    public void MultipartETag_IsMd5OfConcatenatedPartMd5sWithPartCount()
    {
        var p1 = MD5.HashData("part one"u8);
        var p2 = MD5.HashData("part two"u8);

        var etag = Checksums.MultipartETag([p1, p2]);

        Assert.Equal(Convert.ToHexStringLower(MD5.HashData([.. p1, .. p2])) + "-2", etag);
    }

    [Theory]
    [InlineData("ABC", "abc", true)]
    [InlineData("abc", "abd", false)]
    [InlineData(null, "abc", false)]
    [InlineData(null, null, false)]
    public void SameHex_ComparesCaseInsensitivelyAndNeverMatchesMissing(string? a, string? b, bool expected)
    {
        Assert.Equal(expected, Checksums.SameHex(a, b));
    }
}
