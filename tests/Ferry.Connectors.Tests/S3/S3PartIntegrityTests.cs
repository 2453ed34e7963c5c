using System.Security.Cryptography;
using System.Text.RegularExpressions;
using Ferry.Connectors.S3;
using Ferry.Core.Connectors;
using Ferry.Core.Errors;
using Ferry.TestRig;

namespace Ferry.Connectors.Tests.S3;

/// <summary>
/// How the store checks each multipart part's bytes: by the SHA-256 the part is signed with
/// (x-amz-content-sha256), against Ceph RGW through a proxy that shows and damages the wire.
/// </summary>
[Collection("rig")]
public sealed partial class S3PartIntegrityTests(Rig rig) : IAsyncLifetime
{
    private const long MiB = 1024 * 1024;
    private string _bucket = "";

    public async Task InitializeAsync() => _bucket = await rig.S3.NewBucketAsync();

    public Task DisposeAsync() => rig.S3.DeleteBucketAsync(_bucket);

    private S3Connector Through(FaultProxy proxy)
    {
        var s3 = new Uri(rig.S3.Endpoint);
        return new S3Connector(rig.S3.Options(_bucket) with
        {
            ServiceUrl = $"http://{s3.Host}:{proxy.Port}",
            MinPartSize = 5 * MiB,
            SinglePutMax = 5 * MiB,
            MemoryBudget = 15 * MiB,
            MaxPartsInFlight = 3,
        });
    }

    [Fact]
    public async Task Parts_AreSignedWithTheirBytesSha256_AndSendNoContentMd5()
    {
        var s3 = new Uri(rig.S3.Endpoint);
        await using var proxy = new FaultProxy(s3.Host, s3.Port);
        await using var c = Through(proxy);
        var length = 12 * MiB + 5;
        var content = new byte[length];
        await new RandomData(length, 31).ReadExactlyAsync(content);

        var result = await c.WriteAsync("signed.bin", new MemoryStream(content), length, WriteOptions.Default, default);

        Assert.True(result.ServerVerified, "the object's ETag should match the ETags the store gave the parts");
        var parts = proxy.HttpRequestHeads.Where(h => h.StartsWith($"PUT /{_bucket}/signed.bin?partNumber=", StringComparison.Ordinal)).ToList();
        Assert.Equal(3, parts.Count);
        foreach (var head in parts)
        {
            var number = int.Parse(PartNumber().Match(head).Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
            var start = (number - 1) * 5 * MiB;
            var expected = Convert.ToHexStringLower(SHA256.HashData(content.AsSpan((int)start, (int)Math.Min(5 * MiB, length - start))));
            Assert.Equal(expected, ContentSha256().Match(head).Groups[1].Value.ToLowerInvariant());
            Assert.DoesNotContain("content-md5:", head, StringComparison.OrdinalIgnoreCase);
        }
    }

    [Fact]
    public async Task PartDamagedInTransit_IsRefusedByTheStore_AndNothingIsCompletedOrLeftPending()
    {
        var s3 = new Uri(rig.S3.Endpoint);
        await using var proxy = new FaultProxy(s3.Host, s3.Port);
        await using var c = Through(proxy);
        var length = 12 * MiB;
        proxy.DamageBody($"PUT /{_bucket}/damaged.bin?partNumber=2&", offset: 3 * MiB + 7);

        var ex = await Assert.ThrowsAsync<FerryException>(() => c.WriteAsync("damaged.bin", new RandomData(length, 32), length, WriteOptions.Default, default));

        Assert.Equal(1, proxy.BodiesDamaged);
        Assert.Equal(ErrorCodes.ChecksumMismatch, ex.Code);
        Assert.True(ex.IsTransient, "damage in transit is worth another attempt");
        Assert.Null(await c.StatAsync("damaged.bin", default));
        Assert.Empty((await rig.S3.Client.ListMultipartUploadsAsync(_bucket)).MultipartUploads ?? []);
    }

    [GeneratedRegex(@"partNumber=(\d+)")]
    private static partial Regex PartNumber();

    [GeneratedRegex(@"(?im)^x-amz-content-sha256:\s*([0-9a-f]{64})\s*$")]
    private static partial Regex ContentSha256();
}
