using System.Diagnostics;
using System.Text.Json;
using Amazon.S3.Model;
using Ferry.Server.Tests.Support;
using Ferry.TestRig;

namespace Ferry.Server.Tests;

/// <summary>
/// The push path end to end with events a real S3 server sends: Ceph RGW pushes its bucket
/// notifications to the trigger's intake URL (an SNS-style topic with a push-endpoint, created
/// with awscli, and a topic configuration on the bucket for s3:ObjectCreated:*).
/// </summary>
[Collection("rig")]
public sealed class RgwPushTests(Rig rig, SharedServer shared) : IClassFixture<SharedServer>
{
    [Fact]
    public async Task AnObjectUploadedToRgw_IsDeliveredThroughItsOwnNotification()
    {
        using var client = await FerryClient.NewCustomerAsync(shared.Server);
        var bucket = await rig.S3.NewBucketAsync();
        var dir = SftpServer.NewDirectory(rig.Sftp.Ed25519Base, rig.Sftp.Ed25519User);
        var (triggerId, intake) = await TriggersTests.CreateTriggerAsync(client, await client.RegisterS3Async(rig.S3, bucket), "uploads/", "",
            await client.RegisterSftpAsync(rig.Sftp, dir), "in/{path}");
        await RgwNotifications.SubscribeAsync(rig.S3, bucket, new Uri(shared.Server.BaseAddress, intake).ToString());

        var bytes = new byte[1024];
        Random.Shared.NextBytes(bytes);
        await rig.S3.Client.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "uploads/partner/report.bin", InputStream = new MemoryStream(bytes) });

        var job = await WaitForFirstJobAsync(client, triggerId);
        Assert.Equal("SUCCEEDED", job.GetProperty("status").GetString());
        Assert.Equal("uploads/partner/report.bin", job.GetProperty("source").GetProperty("path").GetString());
        Assert.Equal(bytes, await File.ReadAllBytesAsync(Path.Combine(dir, "in/partner/report.bin")));
    }

    internal static async Task<JsonElement> WaitForFirstJobAsync(FerryClient client, string triggerId)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            var jobs = (await client.GetAsync($"v1/jobs?batch_id={triggerId}")).Body.GetProperty("jobs");
            if (jobs.GetArrayLength() > 0)
            {
                return await client.WaitForJobAsync(jobs[0].GetProperty("job_id").GetString()!);
            }

            await Task.Delay(50);
        }

        throw new TimeoutException($"RGW sent no event that made a job for trigger {triggerId} within 60 s");
    }
}

/// <summary>Bucket notifications on the rig's RGW: a persistent push topic (awscli, SNS API) and the bucket's topic configuration.</summary>
public static class RgwNotifications
{
    public static async Task SubscribeAsync(S3Server s3, string bucket, string pushEndpoint)
    {
        var topic = "ferry-" + Guid.NewGuid().ToString("N")[..10];
        var attributes = JsonSerializer.Serialize(new Dictionary<string, string> { ["push-endpoint"] = pushEndpoint, ["persistent"] = "true" });
        var output = await AwsAsync(s3, "sns", "create-topic", "--name", topic, "--attributes", attributes);
        var arn = JsonDocument.Parse(output).RootElement.GetProperty("TopicArn").GetString()!;
        await s3.Client.PutBucketNotificationAsync(new PutBucketNotificationRequest
        {
            BucketName = bucket,
            TopicConfigurations =
            [
                new TopicConfiguration { Id = "ferry", Topic = arn, Events = [Amazon.S3.EventType.ObjectCreatedAll] },
            ],
        });
    }

    private static async Task<string> AwsAsync(S3Server s3, params string[] args)
    {
        var aws = File.Exists("/usr/bin/aws") ? "/usr/bin/aws" : "aws";
        var start = new ProcessStartInfo(aws, ["--endpoint-url", s3.Endpoint, "--region", "default", "--output", "json", .. args])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment["AWS_ACCESS_KEY_ID"] = s3.AccessKey;
        start.Environment["AWS_SECRET_ACCESS_KEY"] = s3.SecretKey;
        start.Environment["AWS_EC2_METADATA_DISABLED"] = "true";
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{aws} did not start; install awscli (./test.sh --install-only)");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return process.ExitCode == 0
            ? await stdout
            : throw new InvalidOperationException($"aws {string.Join(' ', args[..2])} failed ({process.ExitCode}): {await stderr}");
    }
}
