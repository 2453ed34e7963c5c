using Ferry.Core.Connectors;
using Ferry.Core.Endpoints;
using Ferry.Core.Jobs;
using Ferry.Core.Json;
using Ferry.Core.Transfers;

namespace Ferry.Core.Tests.Jobs;

/// <summary>
/// The JSON documents Ferry keeps in its store (a job's policy and checkpoint, an endpoint's
/// credentials in the secret store) must read back exactly as earlier versions wrote them: these
/// are the formats the reflection-based serializer produced before the source-generated one
/// (<see cref="CoreJson"/>, for Native AOT) replaced it.
/// </summary>
public sealed class StoredJsonFormatTests
{
    private static readonly DateTimeOffset Modified = new(2026, 11, 29, 10, 20, 30, TimeSpan.Zero);

    [Fact]
    public void JobPolicy_KeepsItsStoredFormat_AndReadsItBack()
    {
        var policy = new JobPolicy
        {
            Overwrite = OverwriteMode.SkipIfIdentical,
            Verify = VerifyMode.ReadBack,
            Retry = new RetryPolicy { MaxAttempts = 3, InitialBackoff = TimeSpan.FromSeconds(5) },
            AfterSuccess = new SourceAction(SourceActionKind.Move, "sent/a.csv"),
        };

        Assert.Equal("""
            {"Overwrite":"SkipIfIdentical","Verify":"ReadBack","Retry":{"MaxAttempts":3,"InitialBackoff":"00:00:05","MaxBackoff":"00:05:00"},"AfterSuccess":{"Kind":"Move","ArchivePath":"sent/a.csv"},"Transfer":{"Overwrite":"SkipIfIdentical","Verify":"ReadBack"}}
            """, policy.ToJson());
        Assert.Equal(policy, JobPolicy.FromJson(policy.ToJson()));
    }

    [Fact]
    public void Checkpoints_KeepTheirStoredFormat_AndReadBack()
    {
        var sent = new SourceVersion(1234, Modified, "\"abc\"");
        var resume = new TransferCheckpoint(sent, new WriteCheckpoint("in/a.csv", 8 << 20, "c3RhdGU=", "{\"upload_id\":\"u1\"}"));

        Assert.Equal("""
            sent:{"Size":1234,"LastModified":"2026-11-29T10:20:30+00:00","ETag":"\u0022abc\u0022"}
            """, sent.ToCheckpoint());
        Assert.Equal("""
            resume:{"Source":{"Size":1234,"LastModified":"2026-11-29T10:20:30+00:00","ETag":"\u0022abc\u0022"},"Write":{"Path":"in/a.csv","Offset":8388608,"Sha256State":"c3RhdGU=","Store":"{\u0022upload_id\u0022:\u0022u1\u0022}"}}
            """, resume.Serialize());
        Assert.Equal(sent, SourceVersion.FromCheckpoint(sent.ToCheckpoint()));
        Assert.Equal(resume, TransferCheckpoint.Parse(resume.Serialize()));
    }

    [Fact]
    public void AStagedFirstPassCheckpoint_AddsTheStagingWrite_AndReadsBack()
    {
        var staged = new TransferCheckpoint(
            new SourceVersion(1234, Modified, null),
            new WriteCheckpoint("out/a.csv.j1.part", 8 << 20, "c3RhdGU=", ""),
            new WriteCheckpoint("j1/a.csv.part", 16 << 20, "c3RhdGUy", ""));

        Assert.Equal("""
            resume:{"Source":{"Size":1234,"LastModified":"2026-11-29T10:20:30+00:00","ETag":null},"Write":{"Path":"out/a.csv.j1.part","Offset":8388608,"Sha256State":"c3RhdGU=","Store":""},"Staging":{"Path":"j1/a.csv.part","Offset":16777216,"Sha256State":"c3RhdGUy","Store":""}}
            """, staged.Serialize());
        Assert.Equal(staged, TransferCheckpoint.Parse(staged.Serialize()));
    }

    [Fact]
    public void AWholeStagedCopy_IsNamedWithItsDelivery_AndReadsBack()
    {
        var sent = new SourceVersion(1234, Modified, null);
        var copy = new StagedCopy("j1/a.csv", "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08");
        var whole = new TransferCheckpoint(sent, Write: null, Staged: copy);
        var delivering = whole with { Write = new WriteCheckpoint("out/a.csv.j1.part", 8 << 20, "c3RhdGU=", "") };

        Assert.Equal("""
            resume:{"Source":{"Size":1234,"LastModified":"2026-11-29T10:20:30+00:00","ETag":null},"Staged":{"Path":"j1/a.csv","Sha256":"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"}}
            """, whole.Serialize());
        Assert.Equal("""
            resume:{"Source":{"Size":1234,"LastModified":"2026-11-29T10:20:30+00:00","ETag":null},"Write":{"Path":"out/a.csv.j1.part","Offset":8388608,"Sha256State":"c3RhdGU=","Store":""},"Staged":{"Path":"j1/a.csv","Sha256":"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"}}
            """, delivering.Serialize());
        Assert.Equal(whole, TransferCheckpoint.Parse(whole.Serialize()));
        Assert.Equal(delivering, TransferCheckpoint.Parse(delivering.Serialize()));
    }

    [Fact]
    public void EndpointCredentials_KeepTheirStoredFormat_AndReadBack()
    {
        var credentials = new EndpointCredentials { Password = "pw", AccessKeyId = "AK", SecretAccessKey = "SK" };

        Assert.Equal("""
            {"Password":"pw","PrivateKey":null,"PrivateKeyPassphrase":null,"AccessKeyId":"AK","SecretAccessKey":"SK","SessionToken":null}
            """, CoreJson.Serialize(credentials));
        Assert.Equal(credentials, CoreJson.DeserializeCredentials(CoreJson.Serialize(credentials)));
    }
}
