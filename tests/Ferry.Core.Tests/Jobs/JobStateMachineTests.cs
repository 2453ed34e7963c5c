using Ferry.Core.Jobs;

namespace Ferry.Core.Tests.Jobs;

public sealed class JobStateMachineTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 1, 12, 0, 0, TimeSpan.Zero);

    private static TransferJob Job(JobStatus status = JobStatus.Received) => new()
    {
        JobId = "j1", CustomerId = "c", FlowType = "sftp-to-s3", SourceEndpointId = "s", SourcePath = "a",
        TargetEndpointId = "t", TargetPath = "b", IdempotencyKey = "k", CreatedAt = T0, UpdatedAt = T0, Status = status,
    };

    [Theory]
    [InlineData(JobStatus.Received, JobStatus.Queued, true)]
    [InlineData(JobStatus.Received, JobStatus.Cancelled, true)]
    [InlineData(JobStatus.Queued, JobStatus.Running, true)]
    [InlineData(JobStatus.Running, JobStatus.Verifying, true)]
    [InlineData(JobStatus.Verifying, JobStatus.Succeeded, true)]
    [InlineData(JobStatus.Running, JobStatus.Cancelled, false)]
    [InlineData(JobStatus.Verifying, JobStatus.Running, false)]
    [InlineData(JobStatus.Queued, JobStatus.Received, false)]
    [InlineData(JobStatus.Succeeded, JobStatus.Failed, false)]
    [InlineData(JobStatus.Failed, JobStatus.Queued, false)]
    [InlineData(JobStatus.Cancelled, JobStatus.Queued, false)]
    public void CanMove_OnlyForward(JobStatus from, JobStatus to, bool allowed)
    {
        Assert.Equal(allowed, JobStateMachine.CanMove(from, to));
    }

    [Fact]
    public void Claim_QueuedJob_StartsAnAttemptWithANewFencingToken()
    {
        var t = JobStateMachine.Claim(Job(JobStatus.Queued), "w1", "eu", T0, TimeSpan.FromSeconds(30));

        Assert.Equal((JobStatus.Running, 1, 1L, "w1", "eu"), (t.After.Status, t.After.Attempts, t.After.LeaseToken, t.After.LeaseOwner, t.After.ExecutionRegion));
        Assert.Equal((0L, JobStatus.Queued, 1L), (t.ExpectedVersion, t.ExpectedStatus, t.After.Version));
        Assert.Equal(T0.AddSeconds(30), t.After.LeaseExpiresAt);
    }

    [Fact]
    public void Claim_ExpiredLease_IsATakeoverOfTheSameAttempt()
    {
        var held = Job(JobStatus.Running) with { LeaseOwner = "dead", LeaseToken = 4, LeaseExpiresAt = T0, Attempts = 2 };

        var t = JobStateMachine.Claim(held, "w2", "us", T0.AddSeconds(1), TimeSpan.FromSeconds(30));

        Assert.Equal((2, 5L, "lease-taken-over"), (t.After.Attempts, t.After.LeaseToken, Assert.Single(t.Events).Kind));
    }

    [Fact]
    public void SucceedOnDelivery_IsBothStepsInOneWrite_EachInTheHistory()
    {
        var running = Job(JobStatus.Running) with { LeaseOwner = "w1", LeaseToken = 3, LeaseExpiresAt = T0.AddSeconds(30), Version = 7, Checkpoint = "{}" };

        var t = JobStateMachine.SucceedOnDelivery(running, T0.AddSeconds(1), 1024, "ab");

        Assert.Equal((7L, JobStatus.Running, 3L), (t.ExpectedVersion, t.ExpectedStatus, t.RequiredLeaseToken));
        Assert.Equal((JobStatus.Succeeded, 9L, 1024L, "ab", null, null), (t.After.Status, t.After.Version, t.After.Bytes, t.After.Sha256, t.After.LeaseOwner, t.After.Checkpoint));
        Assert.Equal([(8L, JobStatus.Running, JobStatus.Verifying, "verifying"), (9L, JobStatus.Verifying, JobStatus.Succeeded, "succeeded")],
            t.Events.Select(e => (e.Version, e.From, e.To, e.Kind)));
        Assert.Throws<JobTransitionException>(() => JobStateMachine.SucceedOnDelivery(running with { Status = JobStatus.Verifying }, T0, 1024, "ab"));
    }

    [Fact]
    public void Claim_LiveLease_IsRefused()
    {
        var held = Job(JobStatus.Running) with { LeaseOwner = "alive", LeaseExpiresAt = T0.AddSeconds(10) };

        Assert.Throws<JobTransitionException>(() => JobStateMachine.Claim(held, "w2", "eu", T0, TimeSpan.FromSeconds(30)));
    }

    [Fact]
    public void HeldTransitions_RequireTheLeaseTokenAndValidity()
    {
        var held = Job(JobStatus.Running) with { LeaseOwner = "w", LeaseToken = 7, LeaseExpiresAt = T0.AddSeconds(30) };

        var t = JobStateMachine.StartVerifying(held, T0.AddSeconds(5), 100, "ab");

        Assert.Equal((7L, T0.AddSeconds(5)), (t.RequiredLeaseToken, t.LeaseValidAt));
        Assert.Throws<JobTransitionException>(() => JobStateMachine.StartVerifying(held with { LeaseOwner = null }, T0, 1, null));
    }

    [Fact]
    public void ScheduleRetry_KeepsRunningReleasesTheLeaseAndRecordsTheError()
    {
        var held = Job(JobStatus.Running) with { LeaseOwner = "w", LeaseToken = 1, LeaseExpiresAt = T0.AddSeconds(30) };

        var t = JobStateMachine.ScheduleRetry(held, T0, T0.AddMinutes(1), "TIMEOUT", "slow server", held.Checkpoint);

        Assert.Equal((JobStatus.Running, null, T0.AddMinutes(1), "TIMEOUT"), (t.After.Status, t.After.LeaseOwner, t.After.NextAttemptAt, t.After.ErrorCode));
        Assert.False(JobStateMachine.IsClaimable(t.After, T0.AddSeconds(59)));
        Assert.True(JobStateMachine.IsClaimable(t.After, T0.AddMinutes(1)));
    }

    [Fact]
    public void ARetryAfterDelivery_StaysVerifying_AndTheNextClaimIsANewAttempt()
    {
        // Before: a transient failure while VERIFYING (a post-action, a read-back) threw, because
        // VERIFYING → RUNNING is not a move the lifecycle allows.
        var held = Job(JobStatus.Verifying) with { LeaseOwner = "w", LeaseToken = 3, LeaseExpiresAt = T0.AddSeconds(30), Attempts = 1 };
        var sent = new SourceVersion(100, T0.AddDays(-1), "etag");
        var verified = JobStateMachine.Verified(held, T0, sent).After;

        var retry = JobStateMachine.ScheduleRetry(verified, T0, T0.AddSeconds(10), "CONNECTION_FAILED", "reset", verified.Checkpoint).After;
        var next = JobStateMachine.Claim(retry, "w2", "eu", T0.AddSeconds(10), TimeSpan.FromSeconds(30)).After;

        Assert.Equal((JobStatus.Verifying, null), (retry.Status, retry.LeaseOwner));
        Assert.Equal((JobStatus.Verifying, 2, "w2"), (next.Status, next.Attempts, next.LeaseOwner));
        Assert.Equal(sent, SourceVersion.FromCheckpoint(next.Checkpoint));
        Assert.Null(SourceVersion.FromCheckpoint("opaque data-plane state"));
    }

    [Fact]
    public void TransferCheckpoint_SavedWithARenewal_IsClearedWhenTheBytesAreDelivered()
    {
        var held = Job(JobStatus.Running) with { LeaseOwner = "w", LeaseToken = 2, LeaseExpiresAt = T0.AddSeconds(30) };
        var checkpoint = new TransferCheckpoint(new SourceVersion(100, T0, null), new Connectors.WriteCheckpoint("b", 40, "state", "{}"));

        var renewed = JobStateMachine.Renew(held, T0.AddSeconds(10), TimeSpan.FromSeconds(30), checkpoint.Serialize());
        var verifying = JobStateMachine.StartVerifying(renewed.After, T0.AddSeconds(20), 100, "ab").After;

        Assert.Empty(renewed.Events); // progress never buries the history
        Assert.Equal(checkpoint, TransferCheckpoint.Parse(renewed.After.Checkpoint));
        Assert.Null(SourceVersion.FromCheckpoint(renewed.After.Checkpoint));
        Assert.Null(verifying.Checkpoint);
        Assert.Null(TransferCheckpoint.Parse("resume:{not json"));
    }

    [Fact]
    public void Resumed_IsInTheHistory_WithTheByteItContinuedFrom()
    {
        var held = Job(JobStatus.Running) with { LeaseOwner = "w", LeaseToken = 2, LeaseExpiresAt = T0.AddSeconds(30) };

        var t = JobStateMachine.Resumed(held, T0, 25_165_824, 41_943_040);

        var resumed = Assert.Single(t.Events);
        Assert.Equal((JobStatus.Running, "resumed"), (t.After.Status, resumed.Kind));
        Assert.Equal(25_165_824, JobStateMachine.ResumedFrom(resumed));
        Assert.Null(JobStateMachine.ResumedFrom(resumed with { Kind = "claimed" }));
    }
}
