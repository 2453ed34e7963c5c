using Ferry.Core.Jobs;
using Ferry.Core.Triggers;
using Ferry.Server.Api.Jobs;
using Ferry.Server.Api.Transfers;

namespace Ferry.Server.Api.Triggers;

/// <summary>POST /v1/triggers, and PATCH (where every field is optional and replaces the stored one).</summary>
internal sealed record TriggerBody(
    string? Name,
    TriggerSourceInput? Source,
    LocationInput? Target,
    PolicyInput? Policy,
    AfterSuccessInput? AfterSuccess,
    double? ReconcileSeconds);

/// <summary>The S3 endpoint whose ObjectCreated events start transfers, and which keys under it count.</summary>
/// <param name="SqsQueueUrl">An SQS queue the bucket's notifications go to; "" removes it.</param>
internal sealed record TriggerSourceInput(string? EndpointId, string? Prefix, string? Suffix, string? SqsQueueUrl);

internal sealed record TriggerSourceView(string EndpointId, string Prefix, string Suffix, string? SqsQueueUrl);

/// <summary>Where S3 (or SNS) sends this trigger's events; shown once, when the trigger is created.</summary>
internal sealed record IntakeView(string Url, string Token);

internal sealed record TriggerView(
    string TriggerId, string Name, string Status, TriggerSourceView Source, LocationView Target, PolicyView Policy, AfterSuccessView AfterSuccess,
    double? ReconcileSeconds, long Version, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt, IntakeView? Intake)
{
    public static TriggerView From(Trigger t, IntakeView? intake = null) => new(
        t.TriggerId, t.Name, t.Status.ToString().ToUpperInvariant(), new TriggerSourceView(t.SourceEndpointId, t.Prefix, t.Suffix, t.SqsQueueUrl),
        new LocationView(t.TargetEndpointId, t.TargetPath), PolicyView.From(JobPolicy.FromJson(t.PolicyJson)), AfterSuccessView.From(t.AfterSuccess),
        t.ReconcileEvery?.TotalSeconds, t.Version, t.CreatedAt, t.UpdatedAt, intake);
}
