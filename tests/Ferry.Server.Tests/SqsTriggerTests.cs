using System.Net;
using Amazon.S3.Model;
using Amazon.SQS.Model;
using Ferry.Server.Tests.Support;
using Ferry.TestRig;

namespace Ferry.Server.Tests;

/// <summary>The SQS consumer path against fauxqs (an SQS stand-in) on 127.0.0.1, with the real RGW and sshd.</summary>
[Collection("rig")]
public sealed class SqsTriggerTests(Rig rig, SharedServer shared, SqsServer sqs) : IClassFixture<SharedServer>, IClassFixture<SqsServer>
{
    [Fact]
    public async Task QueuedEvents_BecomeJobs_AndAreDeletedOnceTheJobsExist()
    {
        using var client = await FerryClient.NewCustomerAsync(shared.Server);
        var bucket = await rig.S3.NewBucketAsync();
        var dir = SftpServer.NewDirectory(rig.Sftp.Ed25519Base, rig.Sftp.Ed25519User);
        var queueUrl = (await sqs.Client.CreateQueueAsync(new CreateQueueRequest { QueueName = "uploads-" + Guid.NewGuid().ToString("N")[..8] })).QueueUrl;
        var created = await client.PostAsync("v1/triggers", new
        {
            name = "queued uploads",
            source = new { endpoint_id = await client.RegisterS3Async(rig.S3, bucket), prefix = "in/", sqs_queue_url = queueUrl },
            target = new { endpoint_id = await client.RegisterSftpAsync(rig.Sftp, dir), path = "q/{path}" },
        });
        Assert.True(created.Status == HttpStatusCode.Created, created.Text);
        var triggerId = created.Str("trigger_id");
        Assert.Equal(queueUrl, created.Body.GetProperty("source").GetProperty("sqs_queue_url").GetString());

        var bytes = new byte[2048];
        Random.Shared.NextBytes(bytes);
        await rig.S3.Client.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "in/queued.bin", InputStream = new MemoryStream(bytes) });
        await sqs.Client.SendMessageAsync(queueUrl, "this is not an S3 notification");
        var sns = System.Text.Json.JsonSerializer.Serialize(new
        {
            Type = "Notification", TopicArn = "arn:aws:sns:us-east-1:123456789012:t", Message = TriggersTests.Event(bucket, "in/queued.bin", "0A"),
        });
        await sqs.Client.SendMessageAsync(queueUrl, TriggersTests.Event(bucket, "in/queued.bin", "0A"));
        await sqs.Client.SendMessageAsync(queueUrl, sns);

        System.Text.Json.JsonElement job;
        try
        {
            job = await RgwPushTests.WaitForFirstJobAsync(client, triggerId);
        }
        catch (TimeoutException ex)
        {
            // What the consumer said is the useful part of a failure here.
            throw new TimeoutException(ex.Message + "; the consumer logged:\n"
                + string.Join('\n', shared.Server.Output.Split('\n').Where(l => l.Contains("QueueConsumer", StringComparison.Ordinal)).TakeLast(10)));
        }
        Assert.Equal("SUCCEEDED", job.GetProperty("status").GetString());
        Assert.Equal(bytes, await File.ReadAllBytesAsync(Path.Combine(dir, "q/queued.bin")));
        Assert.Equal(1, (await client.GetAsync($"v1/batches/{triggerId}")).Body.GetProperty("jobs").GetInt32());
        await WaitForEmptyAsync(queueUrl);
    }

    /// <summary>Every message handled (deleted), none waiting or in flight.</summary>
    private async Task WaitForEmptyAsync(string queueUrl)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        Dictionary<string, string> attributes;
        do
        {
            await Task.Delay(200);
            attributes = (await sqs.Client.GetQueueAttributesAsync(queueUrl, ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"])).Attributes;
        }
        while ((attributes["ApproximateNumberOfMessages"] != "0" || attributes["ApproximateNumberOfMessagesNotVisible"] != "0") && DateTime.UtcNow < deadline);

        Assert.Equal(("0", "0"), (attributes["ApproximateNumberOfMessages"], attributes["ApproximateNumberOfMessagesNotVisible"]));
    }
}
