using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Ferry.Core;
using Ferry.Core.Audit;
using Ferry.Core.Endpoints;
using Ferry.Core.Jobs;
using Ferry.Core.Tenancy;
using Ferry.Core.Triggers;
using Ferry.Engine.Triggers;
using Ferry.Server.Api.Auth;
using Ferry.Server.Api.Json;
using Ferry.Server.Api.Transfers;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Ferry.Server.Api.Triggers;

/// <summary>/v1/triggers: push rules that turn S3 ObjectCreated events into jobs.</summary>
internal static class TriggersApi
{
    public static void Map(IEndpointRouteBuilder app)
    {
        var group = app.MapCustomerGroup("/v1/triggers");
        group.MapPost("", CreateAsync);
        group.MapGet("", ListAsync);
        group.MapGet("/{triggerId}", GetAsync);
        group.MapPatch("/{triggerId}", PatchAsync);
        group.MapDelete("/{triggerId}", DeleteAsync);
        group.MapPost("/{triggerId}/pause", (string triggerId, HttpContext http, [AsParameters] Services s, CancellationToken ct) =>
            SetStatusAsync(triggerId, TriggerStatus.Paused, http, s, ct));
        group.MapPost("/{triggerId}/resume", (string triggerId, HttpContext http, [AsParameters] Services s, CancellationToken ct) =>
            SetStatusAsync(triggerId, TriggerStatus.Active, http, s, ct));
        group.MapPost("/{triggerId}/reconcile", ReconcileAsync).RequireScope(ApiKeyScope.Transfer);
        group.MapPost("/{triggerId}/rotate-token", RotateTokenAsync);
    }

    internal sealed record Services(
        ITriggerStore Triggers, IEndpointStore Endpoints, IAuditLog Audit, TriggerReconciler Reconciler, Hosting.FerryOptions Options, TimeProvider Time);

    /// <summary>SHA-256 of an intake token, as stored; only the hash is kept.</summary>
    public static string HashToken(string token) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)));

    private static async Task<IResult> CreateAsync(HttpContext http, [AsParameters] Services s, CancellationToken ct)
    {
        var (body, problem) = await JsonBody.ReadAsync<TriggerBody>(http.Request, ct).ConfigureAwait(false);
        if (body is null)
        {
            return problem!;
        }

        var now = s.Time.GetUtcNow();
        var token = Ids.New("fit_", 24);
        var blank = new Trigger
        {
            TriggerId = Ids.New(Trigger.IdPrefix, 8),
            CustomerId = Caller.CustomerOf(http),
            Name = "",
            SourceEndpointId = "",
            TargetEndpointId = "",
            TargetPath = "",
            PolicyJson = new JobPolicy().ToJson(),
            IntakeTokenSha256 = HashToken(token),
            CreatedAt = now,
            UpdatedAt = now,
        };
        var errors = new FieldErrors();
        var trigger = TriggerInput.Build(errors, body, blank, creating: true);
        if (trigger is null || !await EndpointsUsableAsync(errors, s, trigger, ct).ConfigureAwait(false))
        {
            return errors.ToResult();
        }

        await s.Triggers.CreateAsync(trigger, ct).ConfigureAwait(false);
        await AuditAsync(s, http, trigger, "trigger.created", ct).ConfigureAwait(false);
        IfMatch.SetETag(http, trigger.Version);
        return Results.Created($"/v1/triggers/{trigger.TriggerId}", TriggerView.From(trigger, Intake(trigger, token)));
    }

    private static IntakeView Intake(Trigger trigger, string token) => new($"/v1/events/s3?trigger_id={trigger.TriggerId}&token={token}", token);

    /// <summary>
    /// Issues a new intake token (shown in this answer only) and retires the old one at once: for a
    /// token that leaked, or a routine rotation. Whatever posts events (an RGW topic's push
    /// endpoint, an SNS subscription) must be given the new URL.
    /// </summary>
    private static async Task<IResult> RotateTokenAsync(string triggerId, HttpContext http, [AsParameters] Services s, CancellationToken ct)
    {
        if (await s.Triggers.GetAsync(Caller.CustomerOf(http), triggerId, ct).ConfigureAwait(false) is not { } current)
        {
            return Problems.NotFound($"Trigger {triggerId}");
        }

        if (IfMatch.Check(http, "trigger", current.Version, required: false) is { } precondition)
        {
            return precondition;
        }

        var token = Ids.New("fit_", 24);
        var after = current with { IntakeTokenSha256 = HashToken(token), Version = current.Version + 1, UpdatedAt = s.Time.GetUtcNow() };
        if (!await s.Triggers.UpdateAsync(after, current.Version, ct).ConfigureAwait(false))
        {
            return IfMatch.Conflict("Trigger", current.TriggerId);
        }

        await AuditAsync(s, http, after, "trigger.token_rotated", ct).ConfigureAwait(false);
        IfMatch.SetETag(http, after.Version);
        return Results.Ok(TriggerView.From(after, Intake(after, token)));
    }

    private static async Task<IResult> ListAsync(HttpContext http, [AsParameters] Services s, string? cursor, int? limit, CancellationToken ct)
    {
        if (limit is < 1 or > 1000)
        {
            return Problems.Field("limit", "must be between 1 and 1000");
        }

        var page = await s.Triggers.ListAsync(Caller.CustomerOf(http), cursor, limit ?? 100, ct).ConfigureAwait(false);
        return Results.Ok(new { triggers = page.Triggers.Select(t => TriggerView.From(t)), next_cursor = page.NextCursor });
    }

    private static async Task<IResult> GetAsync(string triggerId, HttpContext http, [AsParameters] Services s, CancellationToken ct)
    {
        if (await s.Triggers.GetAsync(Caller.CustomerOf(http), triggerId, ct).ConfigureAwait(false) is not { } trigger)
        {
            return Problems.NotFound($"Trigger {triggerId}");
        }

        IfMatch.SetETag(http, trigger.Version);
        return Results.Ok(TriggerView.From(trigger));
    }

    private static async Task<IResult> PatchAsync(string triggerId, HttpContext http, [AsParameters] Services s, CancellationToken ct)
    {
        if (await s.Triggers.GetAsync(Caller.CustomerOf(http), triggerId, ct).ConfigureAwait(false) is not { } current)
        {
            return Problems.NotFound($"Trigger {triggerId}");
        }

        if (IfMatch.Check(http, "trigger", current.Version, required: true) is { } precondition)
        {
            return precondition;
        }

        var (body, problem) = await JsonBody.ReadAsync<TriggerBody>(http.Request, ct).ConfigureAwait(false);
        if (body is null)
        {
            return problem!;
        }

        var errors = new FieldErrors();
        var after = TriggerInput.Build(errors, body, current, creating: false);
        if (after is null || !await EndpointsUsableAsync(errors, s, after, ct).ConfigureAwait(false))
        {
            return errors.ToResult();
        }

        return await SaveAsync(http, s, current, after, "trigger.updated", ct).ConfigureAwait(false);
    }

    private static async Task<IResult> SetStatusAsync(string triggerId, TriggerStatus status, HttpContext http, Services s, CancellationToken ct)
    {
        if (await s.Triggers.GetAsync(Caller.CustomerOf(http), triggerId, ct).ConfigureAwait(false) is not { } current)
        {
            return Problems.NotFound($"Trigger {triggerId}");
        }

        return IfMatch.Check(http, "trigger", current.Version, required: false) is { } precondition
            ? precondition
            : await SaveAsync(http, s, current, current with { Status = status }, status == TriggerStatus.Active ? "trigger.resumed" : "trigger.paused", ct)
                .ConfigureAwait(false);
    }

    private static async Task<IResult> DeleteAsync(string triggerId, HttpContext http, [AsParameters] Services s, CancellationToken ct)
    {
        if (await s.Triggers.GetAsync(Caller.CustomerOf(http), triggerId, ct).ConfigureAwait(false) is not { } current)
        {
            return Problems.NotFound($"Trigger {triggerId}");
        }

        if (IfMatch.Check(http, "trigger", current.Version, required: false) is { } precondition)
        {
            return precondition;
        }

        await s.Triggers.DeleteAsync(current.CustomerId, triggerId, ct).ConfigureAwait(false);
        await AuditAsync(s, http, current, "trigger.deleted", ct).ConfigureAwait(false);
        return Results.NoContent();
    }

    /// <summary>Lists the trigger's prefix now and creates the jobs missing events would have; answers with the objects that had none.</summary>
    private static async Task<IResult> ReconcileAsync(string triggerId, HttpContext http, [AsParameters] Services s, CancellationToken ct)
    {
        if (await s.Triggers.GetAsync(Caller.CustomerOf(http), triggerId, ct).ConfigureAwait(false) is not { } trigger)
        {
            return Problems.NotFound($"Trigger {triggerId}");
        }

        try
        {
            return Results.Ok(new { records = await s.Reconciler.SweepAsync(trigger, ct).ConfigureAwait(false) });
        }
        catch (Core.Errors.FerryException ex)
        {
            return Problems.Status(ex.IsTransient ? StatusCodes.Status503ServiceUnavailable : StatusCodes.Status422UnprocessableEntity,
                "Source cannot be listed", $"{ex.Code}: {ex.Message}", "source-unreadable");
        }
    }

    /// <summary>The source must be an ACTIVE S3 endpoint usable as a source; the target ACTIVE and usable as a target.</summary>
    private static async Task<bool> EndpointsUsableAsync(FieldErrors errors, Services s, Trigger trigger, CancellationToken ct)
    {
        var source = await s.Endpoints.GetAsync(trigger.CustomerId, trigger.SourceEndpointId, ct).ConfigureAwait(false);
        TransfersApi.CheckEndpoint(errors, "source.endpoint_id", source, EndpointDirection.Inbound);
        if (source is { Kind: not EndpointKind.S3 })
        {
            errors.Add("source.endpoint_id", $"endpoint {source.EndpointId} is SFTP; triggers react to S3 events (poll SFTP with a schedule)");
        }

        TransfersApi.CheckEndpoint(errors, "target.endpoint_id", await s.Endpoints.GetAsync(trigger.CustomerId, trigger.TargetEndpointId, ct).ConfigureAwait(false),
            EndpointDirection.Outbound);
        if (!s.Options.AllowPrivateNetworks && trigger.SqsQueueUrl is { } queue && Endpoints.EndpointConnectivity.IsPrivateLiteral(new Uri(queue)))
        {
            errors.Add("source.sqs_queue_url", $"{new Uri(queue).Host} is a private, loopback or link-local address");
        }

        return !errors.Any;
    }

    private static async Task<IResult> SaveAsync(HttpContext http, Services s, Trigger current, Trigger after, string action, CancellationToken ct)
    {
        after = after with { Version = current.Version + 1, UpdatedAt = s.Time.GetUtcNow() };
        if (!await s.Triggers.UpdateAsync(after, current.Version, ct).ConfigureAwait(false))
        {
            return IfMatch.Conflict("Trigger", current.TriggerId);
        }

        await AuditAsync(s, http, after, action, ct).ConfigureAwait(false);
        IfMatch.SetETag(http, after.Version);
        return Results.Ok(TriggerView.From(after));
    }

    private static Task AuditAsync(Services s, HttpContext http, Trigger trigger, string action, CancellationToken ct) =>
        s.Audit.AppendAsync(new AuditEntry(Ids.Sequential("aud_"), trigger.CustomerId, s.Time.GetUtcNow(), Caller.Of(http).Actor, action, "trigger",
            trigger.TriggerId, JsonSerializer.Serialize(TriggerView.From(trigger), ApiJson.Options)), ct);
}
