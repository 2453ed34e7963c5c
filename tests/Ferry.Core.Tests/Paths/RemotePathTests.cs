using Ferry.Core.Errors;
using Ferry.Core.Paths;

namespace Ferry.Core.Tests.Paths;

public sealed class RemotePathTests
{
    [Theory]
    [InlineData("a/b/c.txt", "a/b/c.txt")]
    [InlineData("/a//b/./c.txt", "a/b/c.txt")]
    [InlineData("a/x/../b", "a/b")]
    [InlineData("", "")]
    [InlineData("/", "")]
    [InlineData("./", "")]
    [InlineData("dir with space/名前.txt", "dir with space/名前.txt")]
    public void Normalize_ValidPaths_CollapseToCanonicalRelativeForm(string input, string expected)
    {
        Assert.Equal(expected, RemotePath.Normalize(input));
    }

    [Theory]
    [InlineData("..")]
    [InlineData("../etc/passwd")]
    [InlineData("a/../../b")]
    [InlineData("/../x")]
    [InlineData("a\0b")]
    [InlineData("a\nb")]
    public void Normalize_EscapingOrControlCharacters_FailsInvalidPathPermanently(string input)
    {
        var ex = Assert.Throws<FerryException>(() => RemotePath.Normalize(input));

        Assert.Equal(ErrorCodes.InvalidPath, ex.Code);
        Assert.Equal(ErrorKind.Permanent, ex.Kind);
        Assert.DoesNotContain('\0', ex.Message);
    }

    [Fact]
    public void Normalize_OverMaxLength_Fails()
    {
        var ex = Assert.Throws<FerryException>(() => RemotePath.Normalize(new string('a', RemotePath.MaxLength + 1)));

        Assert.Contains("longer than", ex.Message);
    }

    [Theory]
    [InlineData("/data", "a/b", "/data/a/b")]
    [InlineData("/", "a", "/a")]
    [InlineData("", "a", "a")]
    [InlineData("/data", "", "/data")]
    [InlineData("rel", "x/../y", "rel/y")]
    public void Combine_JoinsBaseAndNormalizedRelative(string basePath, string relative, string expected)
    {
        Assert.Equal(expected, RemotePath.Combine(basePath, relative));
    }

    [Theory]
    [InlineData("a/b/c.txt", "c.txt", "a/b")]
    [InlineData("c.txt", "c.txt", "")]
    public void FileNameAndParent_SplitOnLastSlash(string path, string name, string parent)
    {
        Assert.Equal(name, RemotePath.FileName(path));
        Assert.Equal(parent, RemotePath.Parent(path));
    }
}
