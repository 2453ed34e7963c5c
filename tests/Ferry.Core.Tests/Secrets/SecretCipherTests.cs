using System.Security.Cryptography;
using Ferry.Core.Secrets;

namespace Ferry.Core.Tests.Secrets;

public sealed class SecretCipherTests
{
    private readonly SecretCipher _cipher = new(RandomNumberGenerator.GetBytes(32));

    [Fact]
    public void EncryptThenDecrypt_RoundTripsAndHidesThePlaintext()
    {
        var sealedValue = _cipher.Encrypt("p@ssw0rd-ü", "acme", "secret:1");

        Assert.Equal("p@ssw0rd-ü", _cipher.Decrypt(sealedValue, "acme", "secret:1"));
        Assert.Equal(-1, sealedValue.AsSpan().IndexOf("p@ssw0rd"u8));
        Assert.NotEqual(sealedValue, _cipher.Encrypt("p@ssw0rd-ü", "acme", "secret:1"));
    }

    [Theory]
    [InlineData("globex", "secret:1")]
    [InlineData("acme", "secret:2")]
    public void Decrypt_UnderAnotherCustomerOrReference_Fails(string customer, string reference)
    {
        var sealedValue = _cipher.Encrypt("hunter2", "acme", "secret:1");

        Assert.ThrowsAny<CryptographicException>(() => _cipher.Decrypt(sealedValue, customer, reference));
    }

    [Fact]
    public void Decrypt_TamperedOrWrongKey_Fails()
    {
        var sealedValue = _cipher.Encrypt("hunter2", "acme", "secret:1");
        var tampered = sealedValue.ToArray();
        tampered[^1] ^= 1;

        Assert.ThrowsAny<CryptographicException>(() => _cipher.Decrypt(tampered, "acme", "secret:1"));
        Assert.ThrowsAny<CryptographicException>(() => new SecretCipher(RandomNumberGenerator.GetBytes(32)).Decrypt(sealedValue, "acme", "secret:1"));
    }

    [Fact]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public void KeyFile_GeneratedOnceOwnerOnlyThenReused()
    {
        var dir = Directory.CreateTempSubdirectory("ferry-key-").FullName;
        try
        {
            var path = Path.Combine(dir, "data", "secret.key");
            var first = SecretKeyFile.LoadOrCreate(null, path, out var generated);
            var again = SecretKeyFile.LoadOrCreate(null, path, out var generatedAgain);

            Assert.Equal((true, false), (generated, generatedAgain));
            Assert.Equal(first, again);
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Theory]
    [InlineData("not base64!")]
    [InlineData("c2hvcnQ=")]
    public void KeyFile_BadConfiguredKey_IsRejectedWithAReason(string configured)
    {
        var ex = Assert.Throws<ArgumentException>(() => SecretKeyFile.LoadOrCreate(configured, "/nonexistent/key", out _));

        Assert.Contains("key", ex.Message);
    }
}
