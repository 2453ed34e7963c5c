using System.Net;
using Ferry.Server.Api.Endpoints;
using Ferry.Server.Api.Transfers;

namespace Ferry.Server.Tests;

/// <summary>Pure logic: which addresses the SSRF guard refuses, and what a glob matches.</summary>
public sealed class GuardAndGlobTests
{
    [Theory]
    [InlineData("127.0.0.1", true)]
    [InlineData("10.1.2.3", true)]
    [InlineData("172.16.0.1", true)]
    [InlineData("172.32.0.1", false)]
    [InlineData("192.168.1.1", true)]
    [InlineData("169.254.169.254", true)]
    [InlineData("100.64.0.1", true)]
    [InlineData("0.0.0.0", true)]
    [InlineData("::1", true)]
    [InlineData("fe80::1", true)]
    [InlineData("fd00::1", true)]
    [InlineData("::ffff:127.0.0.1", true)]
    [InlineData("8.8.8.8", false)]
    [InlineData("2606:4700::1111", false)]
    public void PrivateAddresses_AreRecognised(string address, bool isPrivate) =>
        Assert.Equal(isPrivate, EndpointConnectivity.IsPrivate(IPAddress.Parse(address)));

    [Theory]
    [InlineData("*.csv", "a.csv", true)]
    [InlineData("*.csv", "sub/a.csv", false)]
    [InlineData("**/*.csv", "sub/deep/a.csv", true)]
    [InlineData("**/*.csv", "a.csv", true)]
    [InlineData("report-??.txt", "report-01.txt", true)]
    [InlineData("report-??.txt", "report-1.txt", false)]
    [InlineData("a.(b)+.txt", "a.(b)+.txt", true)]
    [InlineData("a.(b)+.txt", "a.bb.txt", false)]
    public void Glob_MatchesWithinAndAcrossDirectories(string glob, string path, bool matches) =>
        Assert.Equal(matches, Ferry.Core.Paths.Glob.ToRegex(glob).IsMatch(path));
}
