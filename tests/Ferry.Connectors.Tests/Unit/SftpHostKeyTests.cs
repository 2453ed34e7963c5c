using Ferry.Connectors.Sftp;

namespace Ferry.Connectors.Tests.Unit;

public sealed class SftpHostKeyTests
{
    private const string Key = "SHA256:3LjZWcgyvryHZm7eJlO6bKj0TVojJfPkrhMVuYhAxpU";

    [Theory]
    [InlineData(Key)]
    [InlineData("3LjZWcgyvryHZm7eJlO6bKj0TVojJfPkrhMVuYhAxpU")]
    [InlineData("3LjZWcgyvryHZm7eJlO6bKj0TVojJfPkrhMVuYhAxpU=")]
    [InlineData(" sha256:3LjZWcgyvryHZm7eJlO6bKj0TVojJfPkrhMVuYhAxpU ")]
    public void Normalize_AcceptsTheUsualSpellings(string input)
    {
        Assert.Equal(Key, SftpHostKey.Normalize(input));
    }

    [Theory]
    [InlineData("")]
    [InlineData("SHA256:tooShort")]
    [InlineData("MD5:16:27:ac:a5:76:28:2d:36:63:1b:56:4d:eb:df:a6:48")]
    public void Normalize_RejectsWhatIsNotASha256Fingerprint(string input)
    {
        Assert.Null(SftpHostKey.Normalize(input));
    }

    [Fact]
    public void Matches_IsExactAfterNormalizing()
    {
        Assert.True(SftpHostKey.Matches("3LjZWcgyvryHZm7eJlO6bKj0TVojJfPkrhMVuYhAxpU=", Key));
        Assert.False(SftpHostKey.Matches(Key, "SHA256:3LjZWcgyvryHZm7eJlO6bKj0TVojJfPkrhMVuYhAxpV"));
    }
}
