using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Ferry.Core.Errors;
using Ferry.Core.Tenancy;
using Ferry.Core.Triggers;
using Ferry.Engine.Triggers;
using Ferry.Server.Api.Auth;
using Ferry.Server.Api.Triggers;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;

namespace Ferry.Server.Api.Events;

/// <summary>
/// POST /v1/events/s3: S3 event notifications, plain or in an SNS envelope. Senders that can be
/// given only a URL (an S3-compatible server's HTTP push, an SNS subscription) use the trigger's
/// intake URL, whose token authenticates them for that one trigger; API callers may instead send
/// their API key, and the events are matched against all their triggers. Answers 200 with what
/// became of each record, or 503 when the source could not be checked, so the sender retries.
/// </summary>
internal static class EventsApi
{
    /// <summary>S3 notifications are at most 64 KiB; room for an SNS envelope and a batch of records.</summary>
    private const int MaxBodyBytes = 1024 * 1024;

    public static void Map(IEndpointRouteBuilder app) => app.MapPost("/v1/events/s3", AcceptAsync);

    internal sealed record Services(ITriggerStore Triggers, EventIntake Intake, ILogger<EventIntake> Logger);

    /// <summary>True for requests the API-key check lets through because the handler authenticates them by intake token.</summary>
    public static bool AuthenticatesItself(HttpRequest request) =>
        request.Path.Equals("/v1/events/s3", StringComparison.Ordinal) && request.Headers.Authorization.Count == 0 && request.Query.ContainsKey("token");

    private static async Task<IResult> AcceptAsync(HttpContext http, [AsParameters] Services s, string? trigger_id, string? token, CancellationToken ct)
    {
        // Events create jobs: a key must be allowed to submit transfers (the intake token is the trigger's own).
        if (Caller.IsIdentified(http) && Caller.Of(http) is { CustomerId: not null } caller && !caller.Scope.Allows(ApiKeyScope.Transfer))
        {
            return CustomerScope.Refusal(http, caller, ApiKeyScope.Transfer);
        }

        var candidates = await CandidatesAsync(http, s, trigger_id, token, ct).ConfigureAwait(false);
        if (candidates is null)
        {
            http.Response.Headers.WWWAuthenticate = "Bearer";
            return Problems.Status(StatusCodes.Status401Unauthorized, "Unauthorized",
                "Send events to a trigger's intake URL (trigger_id and token, as shown when it was created) or with a customer's API key.");
        }

        JsonDocument document;
        try
        {
            document = await ReadAsync(http.Request, ct).ConfigureAwait(false);
        }
        catch (JsonException ex)
        {
            return Problems.Field("$", $"is not valid JSON: {ex.Message}");
        }
        catch (InvalidDataException ex)
        {
            return Problems.Status(StatusCodes.Status413PayloadTooLarge, "Request body too large", ex.Message);
        }

        using (document)
        {
            var (records, error, snsType) = S3EventMessage.Parse(document.RootElement);
            if (error is not null)
            {
                return Problems.Field("$", error);
            }

            if (snsType is not null and not "Notification")
            {
                // Confirming means fetching a URL the message names; an operator does that once, deliberately.
                var subscribe = document.RootElement.TryGetProperty("SubscribeURL", out var url) ? url.GetString() : null;
                s.Logger.LogWarning("SNS {Type} received for {Triggers}; confirm the subscription by opening its SubscribeURL: {Url}", snsType,
                    string.Join(",", candidates.Select(c => c.TriggerId)), subscribe);
                return Results.Ok(new { records = Array.Empty<EventOutcome>(), sns = snsType });
            }

            try
            {
                var outcomes = candidates.Count == 0
                    ? records.Select(r => new EventOutcome(r.Bucket, r.Key, EventOutcome.Unmatched, Detail: "this customer has no triggers")).ToList()
                    : await s.Intake.AcceptAsync(candidates, records, ct).ConfigureAwait(false);
                return Results.Ok(new { records = outcomes });
            }
            catch (FerryException ex) when (ex.IsTransient)
            {
                http.Response.Headers.RetryAfter = "5";
                return Problems.Status(StatusCodes.Status503ServiceUnavailable, "Source unavailable",
                    $"The object could not be checked for now ({ex.Code}: {ex.Message}); send the event again.", "source-unavailable");
            }
        }
    }

    /// <summary>The triggers the caller may feed: one, by intake token; all of a customer's, by API key; null when neither authenticates.</summary>
    private static async Task<IReadOnlyList<Trigger>?> CandidatesAsync(HttpContext http, Services s, string? triggerId, string? token, CancellationToken ct)
    {
        if (Caller.IsIdentified(http))
        {
            var customerId = Caller.Of(http).CustomerId;
            if (customerId is null)
            {
                return null;
            }

            var all = new List<Trigger>();
            string? cursor = null;
            do
            {
                var page = await s.Triggers.ListAsync(customerId, cursor, 1000, ct).ConfigureAwait(false);
                all.AddRange(page.Triggers);
                cursor = page.NextCursor;
            }
            while (cursor is not null);

            return all;
        }

        if (triggerId is null || token is null || triggerId.Length > 64 || token.Length > 128
            || await s.Triggers.FindAsync(triggerId, ct).ConfigureAwait(false) is not { } trigger)
        {
            return null;
        }

        return CryptographicOperations.FixedTimeEquals(
                Encoding.ASCII.GetBytes(TriggersApi.HashToken(token)), Encoding.ASCII.GetBytes(trigger.IntakeTokenSha256))
            ? [trigger]
            : null;
    }

    /// <summary>The body as JSON whatever its Content-Type (SNS sends text/plain), up to <see cref="MaxBodyBytes"/>.</summary>
    private static async Task<JsonDocument> ReadAsync(HttpRequest request, CancellationToken ct)
    {
        if (request.ContentLength > MaxBodyBytes)
        {
            throw new InvalidDataException($"An event message may be at most {MaxBodyBytes / 1024} KiB.");
        }

        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, ct).ConfigureAwait(false)) > 0)
        {
            if (buffer.Length + read > MaxBodyBytes)
            {
                throw new InvalidDataException($"An event message may be at most {MaxBodyBytes / 1024} KiB.");
            }

            buffer.Write(chunk, 0, read);
        }

        return JsonDocument.Parse(buffer.GetBuffer().AsMemory(0, (int)buffer.Length));
    }
}
