using System.Text.Json;
using Ferry.Core;
using Ferry.Core.Audit;
using Ferry.Core.Endpoints;
using Ferry.Core.Jobs;
using Ferry.Core.Schedules;
using Ferry.Core.Tenancy;
using Ferry.Engine.Schedules;
using Ferry.Server.Api.Auth;
using Ferry.Server.Api.Json;
using Ferry.Server.Api.Transfers;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Ferry.Server.Api.Schedules;

/// <summary>/v1/schedules: pull rules, their runs, and why each file was or was not taken.</summary>
internal static class SchedulesApi
{
    public static void Map(IEndpointRouteBuilder app)
    {
        var group = app.MapCustomerGroup("/v1/schedules");
        group.MapPost("", CreateAsync);
        group.MapGet("", ListAsync);
        group.MapGet("/{scheduleId}", GetAsync);
        group.MapPatch("/{scheduleId}", PatchAsync);
        group.MapDelete("/{scheduleId}", DeleteAsync);
        group.MapPost("/{scheduleId}/pause", (string scheduleId, HttpContext http, [AsParameters] Services s, CancellationToken ct) =>
            SetStatusAsync(scheduleId, ScheduleStatus.Paused, http, s, ct));
        group.MapPost("/{scheduleId}/resume", (string scheduleId, HttpContext http, [AsParameters] Services s, CancellationToken ct) =>
            SetStatusAsync(scheduleId, ScheduleStatus.Active, http, s, ct));
        group.MapPost("/{scheduleId}/run", RunNowAsync).RequireScope(ApiKeyScope.Transfer);
        group.MapGet("/{scheduleId}/runs", ListRunsAsync);
        group.MapGet("/{scheduleId}/decisions", ListDecisionsAsync);
    }

    internal sealed record Services(IScheduleStore Schedules, IEndpointStore Endpoints, ScheduleRunner Runner, IAuditLog Audit, TimeProvider Time);

    private static async Task<IResult> CreateAsync(HttpContext http, [AsParameters] Services s, CancellationToken ct)
    {
        var customerId = Caller.CustomerOf(http);
        var (body, problem) = await JsonBody.ReadAsync<ScheduleBody>(http.Request, ct).ConfigureAwait(false);
        if (body is null)
        {
            return problem!;
        }

        var now = s.Time.GetUtcNow();
        var blank = new Schedule
        {
            ScheduleId = Ids.New("sch_", 8),
            CustomerId = customerId,
            Name = "",
            SourceEndpointId = "",
            SourcePath = "",
            TargetEndpointId = "",
            TargetPath = "",
            PolicyJson = new JobPolicy().ToJson(),
            Trigger = new ScheduleTrigger(),
            CreatedAt = now,
            UpdatedAt = now,
        };
        var errors = new FieldErrors();
        var schedule = ScheduleInput.Build(errors, body, blank, creating: true);
        if (schedule is null || !await EndpointsUsableAsync(errors, s, schedule, ct).ConfigureAwait(false))
        {
            return errors.ToResult();
        }

        var next = ScheduleTiming.Next(schedule.Trigger, now);
        await s.Schedules.CreateAsync(schedule, next, ct).ConfigureAwait(false);
        await AuditAsync(s, http, schedule, "schedule.created", Describe(schedule, new ScheduleState(next, null)), ct).ConfigureAwait(false);
        IfMatch.SetETag(http, schedule.Version);
        return Results.Created($"/v1/schedules/{schedule.ScheduleId}", ScheduleView.From(schedule, new ScheduleState(next, null)));
    }

    private static async Task<IResult> ListAsync(HttpContext http, [AsParameters] Services s, string? cursor, int? limit, CancellationToken ct)
    {
        if (limit is < 1 or > 1000)
        {
            return Problems.Field("limit", "must be between 1 and 1000");
        }

        var page = await s.Schedules.ListAsync(Caller.CustomerOf(http), cursor, limit ?? 100, ct).ConfigureAwait(false);
        return Results.Ok(new { schedules = page.Schedules.Select(x => ScheduleView.From(x.Schedule, x.State)), next_cursor = page.NextCursor });
    }

    private static async Task<IResult> GetAsync(string scheduleId, HttpContext http, [AsParameters] Services s, CancellationToken ct)
    {
        if (await s.Schedules.GetAsync(Caller.CustomerOf(http), scheduleId, ct).ConfigureAwait(false) is not var (schedule, state))
        {
            return Problems.NotFound($"Schedule {scheduleId}");
        }

        IfMatch.SetETag(http, schedule.Version);
        return Results.Ok(ScheduleView.From(schedule, state));
    }

    private static async Task<IResult> PatchAsync(string scheduleId, HttpContext http, [AsParameters] Services s, CancellationToken ct)
    {
        if (await s.Schedules.GetAsync(Caller.CustomerOf(http), scheduleId, ct).ConfigureAwait(false) is not var (current, state))
        {
            return Problems.NotFound($"Schedule {scheduleId}");
        }

        if (IfMatch.Check(http, "schedule", current.Version, required: true) is { } precondition)
        {
            return precondition;
        }

        var (body, problem) = await JsonBody.ReadAsync<ScheduleBody>(http.Request, ct).ConfigureAwait(false);
        if (body is null)
        {
            return problem!;
        }

        var errors = new FieldErrors();
        var after = ScheduleInput.Build(errors, body, current, creating: false);
        if (after is null || !await EndpointsUsableAsync(errors, s, after, ct).ConfigureAwait(false))
        {
            return errors.ToResult();
        }

        // A new trigger takes effect from now; otherwise the due time stands.
        var next = after.Trigger != current.Trigger && after.Status == ScheduleStatus.Active ? ScheduleTiming.Next(after.Trigger, s.Time.GetUtcNow()) : state.NextRunAt;
        return await SaveAsync(http, s, current, state, after, next, "schedule.updated", ct).ConfigureAwait(false);
    }

    private static async Task<IResult> SetStatusAsync(string scheduleId, ScheduleStatus status, HttpContext http, Services s, CancellationToken ct)
    {
        if (await s.Schedules.GetAsync(Caller.CustomerOf(http), scheduleId, ct).ConfigureAwait(false) is not var (current, state))
        {
            return Problems.NotFound($"Schedule {scheduleId}");
        }

        if (IfMatch.Check(http, "schedule", current.Version, required: false) is { } precondition)
        {
            return precondition;
        }

        var next = status == ScheduleStatus.Active ? ScheduleTiming.Next(current.Trigger, s.Time.GetUtcNow()) : null;
        return await SaveAsync(http, s, current, state, current with { Status = status }, next,
            status == ScheduleStatus.Active ? "schedule.resumed" : "schedule.paused", ct).ConfigureAwait(false);
    }

    private static async Task<IResult> DeleteAsync(string scheduleId, HttpContext http, [AsParameters] Services s, CancellationToken ct)
    {
        if (await s.Schedules.GetAsync(Caller.CustomerOf(http), scheduleId, ct).ConfigureAwait(false) is not var (current, _))
        {
            return Problems.NotFound($"Schedule {scheduleId}");
        }

        if (IfMatch.Check(http, "schedule", current.Version, required: false) is { } precondition)
        {
            return precondition;
        }

        if (!await s.Schedules.DeleteAsync(current.CustomerId, scheduleId, current.Version, ct).ConfigureAwait(false))
        {
            return IfMatch.Conflict("Schedule", scheduleId);
        }

        await AuditAsync(s, http, current, "schedule.deleted", "{}", ct).ConfigureAwait(false);
        return Results.NoContent();
    }

    /// <summary>Runs the schedule now, whatever its status and due time, and answers with the run.</summary>
    private static async Task<IResult> RunNowAsync(string scheduleId, HttpContext http, [AsParameters] Services s, CancellationToken ct)
    {
        if (await s.Schedules.GetAsync(Caller.CustomerOf(http), scheduleId, ct).ConfigureAwait(false) is not var (schedule, _))
        {
            return Problems.NotFound($"Schedule {scheduleId}");
        }

        var run = await s.Runner.RunAsync(schedule, RunCause.Manual, ct).ConfigureAwait(false);
        return Results.Ok(RunView.From(run));
    }

    private static async Task<IResult> ListRunsAsync(string scheduleId, HttpContext http, [AsParameters] Services s, int? limit, CancellationToken ct)
    {
        if (limit is < 1 or > 1000)
        {
            return Problems.Field("limit", "must be between 1 and 1000");
        }

        var customerId = Caller.CustomerOf(http);
        if (await s.Schedules.GetAsync(customerId, scheduleId, ct).ConfigureAwait(false) is null)
        {
            return Problems.NotFound($"Schedule {scheduleId}");
        }

        var runs = await s.Schedules.ListRunsAsync(customerId, scheduleId, limit ?? 20, ct).ConfigureAwait(false);
        return Results.Ok(new { runs = runs.Select(RunView.From) });
    }

    /// <summary>Why a file was or was not taken: newest decisions first, optionally for one path under the schedule's directory.</summary>
    private static async Task<IResult> ListDecisionsAsync(string scheduleId, HttpContext http, [AsParameters] Services s, string? path, int? limit, CancellationToken ct)
    {
        if (limit is < 1 or > 1000)
        {
            return Problems.Field("limit", "must be between 1 and 1000");
        }

        var customerId = Caller.CustomerOf(http);
        if (await s.Schedules.GetAsync(customerId, scheduleId, ct).ConfigureAwait(false) is null)
        {
            return Problems.NotFound($"Schedule {scheduleId}");
        }

        var decisions = await s.Schedules.ListDecisionsAsync(customerId, scheduleId, path, limit ?? 100, ct).ConfigureAwait(false);
        return Results.Ok(new { decisions = decisions.Select(DecisionView.From) });
    }

    /// <summary>Both endpoints must exist, be ACTIVE and allow their direction; false (with the reasons in <paramref name="errors"/>) when not.</summary>
    private static async Task<bool> EndpointsUsableAsync(FieldErrors errors, Services s, Schedule schedule, CancellationToken ct)
    {
        TransfersApi.CheckEndpoint(errors, "source.endpoint_id", await s.Endpoints.GetAsync(schedule.CustomerId, schedule.SourceEndpointId, ct).ConfigureAwait(false),
            EndpointDirection.Inbound);
        TransfersApi.CheckEndpoint(errors, "target.endpoint_id", await s.Endpoints.GetAsync(schedule.CustomerId, schedule.TargetEndpointId, ct).ConfigureAwait(false),
            EndpointDirection.Outbound);
        return !errors.Any;
    }

    private static async Task<IResult> SaveAsync(
        HttpContext http, Services s, Schedule current, ScheduleState state, Schedule after, DateTimeOffset? next, string action, CancellationToken ct)
    {
        after = after with { Version = current.Version + 1, UpdatedAt = s.Time.GetUtcNow() };
        if (!await s.Schedules.UpdateAsync(after, current.Version, next, ct).ConfigureAwait(false))
        {
            return IfMatch.Conflict("Schedule", current.ScheduleId);
        }

        var afterState = state with { NextRunAt = next };
        await AuditAsync(s, http, after, action, Describe(after, afterState), ct).ConfigureAwait(false);
        IfMatch.SetETag(http, after.Version);
        return Results.Ok(ScheduleView.From(after, afterState));
    }

    private static Task AuditAsync(Services s, HttpContext http, Schedule schedule, string action, string changes, CancellationToken ct) =>
        s.Audit.AppendAsync(new AuditEntry(Ids.Sequential("aud_"), schedule.CustomerId, s.Time.GetUtcNow(), Caller.Of(http).Actor, action, "schedule",
            schedule.ScheduleId, changes), ct);

    private static string Describe(Schedule schedule, ScheduleState state) => JsonSerializer.Serialize(ScheduleView.From(schedule, state), ApiJson.Options);
}
