using Ferry.Server.Hosting;

namespace Ferry.Server.Tests;

public sealed class FerryOptionsTests
{
    [Theory]
    [InlineData("http://127.0.0.1:4318", "http://127.0.0.1:4318/v1/traces")]
    [InlineData("http://collector:4318/", "http://collector:4318/v1/traces")]
    [InlineData("https://collector/otlp/v1/traces", "https://collector/otlp/v1/traces")]
    public void OtlpEndpoint_TracesGoToItsV1TracesPath(string endpoint, string traces)
    {
        var options = new FerryOptions { OtlpEndpoint = endpoint };

        Assert.Empty(options.Validate());
        Assert.Equal(new Uri(traces), options.OtlpTracesUri);
    }

    [Theory]
    [InlineData("collector:4318")]
    [InlineData("ftp://collector:4318")]
    [InlineData("http://user:secret@collector:4318")]
    public void OtlpEndpoint_NotAnHttpUrlWithoutCredentials_IsRefusedNamingTheSetting(string endpoint)
    {
        var problem = Assert.Single(new FerryOptions { OtlpEndpoint = endpoint }.Validate());

        Assert.Contains("FERRY__OTLPENDPOINT", problem);
        Assert.DoesNotContain("secret", problem);
    }

    [Fact]
    public void OtlpEndpoint_Unset_MeansNoTracing()
    {
        var options = new FerryOptions();

        Assert.Empty(options.Validate());
        Assert.Null(options.OtlpTracesUri);
    }

    [Theory]
    [InlineData(-1, 0, "FERRY__JOBRETENTIONDAYS")]
    [InlineData(90, 36_501, "FERRY__AUDITRETENTIONDAYS")]
    public void Retention_OutOfRange_IsRefusedNamingTheSetting(int jobDays, int auditDays, string setting)
    {
        var problem = Assert.Single(new FerryOptions { JobRetentionDays = jobDays, AuditRetentionDays = auditDays }.Validate());

        Assert.Contains(setting, problem);
    }

    [Theory]
    [InlineData(90, 90, "must be more than Ferry:JobRetentionDays (90)")]
    [InlineData(0, 365, "Ferry:JobRetentionDays is 0")]
    [InlineData(90, -1, "FERRY__PRUNEDJOBRETENTIONDAYS")]
    public void PrunedJobRetention_NotOutlivingTheJobs_IsRefused(int jobDays, int prunedDays, string reason)
    {
        var problem = Assert.Single(new FerryOptions { JobRetentionDays = jobDays, PrunedJobRetentionDays = prunedDays }.Validate());

        Assert.Contains(reason, problem);
        Assert.Empty(new FerryOptions { JobRetentionDays = jobDays == 0 ? 30 : jobDays, PrunedJobRetentionDays = 3650 }.Validate());
    }

    [Fact]
    public void Retention_ByDefault_KeepsJobs90DaysAndEveryAuditEntry()
    {
        var options = new FerryOptions();

        Assert.Equal((90, 0, 0), (options.JobRetentionDays, options.AuditRetentionDays, options.PrunedJobRetentionDays));
        Assert.Empty(options.Validate());
    }

    [Fact]
    public void TlsFiles_WithAnHttpListen_AreRefused_AndMissingOnesAreNamed()
    {
        var ignored = Assert.Single(new FerryOptions { TlsCertificateFile = "/etc/ferry/tls.crt", TlsKeyFile = "/etc/ferry/tls.key" }.Validate());
        Assert.Contains("not https", ignored);

        var missing = new FerryOptions { Listen = "https://127.0.0.1:8443", TlsCertificateFile = "/nonexistent/tls.crt", TlsKeyFile = "/nonexistent/tls.key" }.Validate();
        Assert.Equal(2, missing.Count);
        Assert.Contains("/nonexistent/tls.crt, which does not exist", missing[0]);
        Assert.Contains("FERRY__TLSKEYFILE", missing[1]);
    }
}
