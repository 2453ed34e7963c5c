using System.Reflection;
using Amazon.Runtime.Endpoints;
using Amazon.S3.Endpoints;
using Amazon.S3.Internal;
using Ferry.Connectors.S3;

namespace Ferry.Connectors.Tests.Unit;

/// <summary>The SDK's own S3 endpoint rules behind the cache, counted.</summary>
public sealed class CachedEndpointProviderTests
{
    private readonly CountingRules _rules = new();

    [Fact]
    public void SameParameters_TheRulesRunOnce_AndEveryCallerGetsItsOwnCopy()
    {
        var cache = new CachedEndpointProvider(_rules);

        var first = cache.ResolveEndpoint(Parameters("bucket-a", "big.bin"));
        first.URL += "/"; // what the SDK does to the endpoint it is given
        var second = cache.ResolveEndpoint(Parameters("bucket-a", "big.bin"));

        Assert.Equal(1, _rules.Calls);
        Assert.Equal("https://bucket-a.s3.eu-west-1.amazonaws.com", second.URL);
        Assert.NotSame(first, second);
        Assert.Equal(_rules.ResolveEndpoint(Parameters("bucket-a", "big.bin")).URL, second.URL);
    }

    [Fact]
    public void DifferentParameters_AreAnsweredByTheRules()
    {
        var cache = new CachedEndpointProvider(_rules);

        var a = cache.ResolveEndpoint(Parameters("bucket-a", "k"));
        var b = cache.ResolveEndpoint(Parameters("bucket-b", "k"));
        var fips = Parameters("bucket-a", "k");
        fips.UseFIPS = true;
        var c = cache.ResolveEndpoint(fips);

        Assert.Equal(3, _rules.Calls);
        Assert.Equal("https://bucket-a.s3.eu-west-1.amazonaws.com", a.URL);
        Assert.Equal("https://bucket-b.s3.eu-west-1.amazonaws.com", b.URL);
        Assert.Equal("https://bucket-a.s3-fips.eu-west-1.amazonaws.com", c.URL);
    }

    [Fact]
    public void KeyOf_ChangesWithEveryParameter()
    {
        var baseline = CachedEndpointProvider.KeyOf(Parameters("bucket-a", "k"));
        var properties = typeof(S3EndpointParameters).GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.GetIndexParameters().Length == 0 && p.CanWrite)
            .ToList();

        Assert.True(properties.Count >= 17, "S3EndpointParameters lost properties: the key would be checked against too little");
        foreach (var property in properties)
        {
            var changed = Parameters("bucket-a", "k");
            property.SetValue(changed, property.PropertyType == typeof(string) ? "other|value" : (object)true);
            Assert.NotEqual(baseline, CachedEndpointProvider.KeyOf(changed));
        }
    }

    [Fact]
    public void KeyOf_ValuesCannotRunIntoEachOther()
    {
        var one = Parameters("bucket-a", "x|1:y");
        var other = Parameters("bucket-a", "x");
        other.Prefix = "y";

        Assert.NotEqual(CachedEndpointProvider.KeyOf(one), CachedEndpointProvider.KeyOf(other));
    }

    [Fact]
    public void HoldsAtMostItsCapacity()
    {
        var cache = new CachedEndpointProvider(_rules);

        for (var i = 0; i < CachedEndpointProvider.Capacity * 3; i++)
        {
            cache.ResolveEndpoint(Parameters("bucket-a", $"key-{i}"));
        }

        Assert.InRange(cache.Count, 1, CachedEndpointProvider.Capacity);
        Assert.Equal(CachedEndpointProvider.Capacity * 3, _rules.Calls);
    }

    private static S3EndpointParameters Parameters(string bucket, string key) => new()
    {
        Bucket = bucket,
        Key = key,
        Region = "eu-west-1",
        UseFIPS = false,
        UseDualStack = false,
        ForcePathStyle = false,
        Accelerate = false,
        UseGlobalEndpoint = false,
        DisableMultiRegionAccessPoints = false,
    };

    private sealed class CountingRules : IEndpointProvider
    {
        private readonly AmazonS3EndpointProvider _sdk = new();

        public int Calls { get; private set; }

        public Endpoint ResolveEndpoint(EndpointParameters parameters)
        {
            Calls++;
            return _sdk.ResolveEndpoint(parameters);
        }
    }
}
