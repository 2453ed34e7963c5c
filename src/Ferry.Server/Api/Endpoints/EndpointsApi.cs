using Ferry.Core;
using System.Text.Json;
using Ferry.Core.Audit;
using Ferry.Core.Endpoints;
using Ferry.Core.Json;
using Ferry.Core.Secrets;
using Ferry.Server.Api.Auth;
using Ferry.Server.Api.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

using Endpoint = Ferry.Core.Endpoints.Endpoint;

namespace Ferry.Server.Api.Endpoints;

/// <summary>/v1/endpoints: register, read, change, enable, disable, rotate credentials and delete (<see cref="EndpointDeletion"/>).</summary>
internal static class EndpointsApi
{
    public static void Map(IEndpointRouteBuilder app)
    {
        var group = app.MapCustomerGroup("/v1/endpoints");
        group.MapPost("", CreateAsync);
        group.MapGet("", ListAsync);
        group.MapGet("/{endpointId}", GetAsync);
        group.MapPatch("/{endpointId}", PatchAsync);
        group.MapPost("/{endpointId}/activate", (string endpointId, HttpContext http, [AsParameters] Services s, CancellationToken ct) => SetStatusAsync(endpointId, EndpointStatus.Active, http, s, ct));
        group.MapPost("/{endpointId}/deactivate", (string endpointId, HttpContext http, [AsParameters] Services s, CancellationToken ct) => SetStatusAsync(endpointId, EndpointStatus.Disabled, http, s, ct));
        group.MapPut("/{endpointId}/credentials", RotateCredentialsAsync);
        EndpointDeletion.Map(group);
    }

    /// <summary>What the handlers use, resolved once per request.</summary>
    internal sealed record Services(IEndpointStore Endpoints, ISecretStore Secrets, IAuditLog Audit, EndpointConnectivity Connectivity, TimeProvider Time);

    private static async Task<IResult> CreateAsync(HttpContext http, [AsParameters] Services s, CancellationToken ct)
    {
        var customerId = Caller.CustomerOf(http);

        var (body, problem) = await JsonBody.ReadAsync<EndpointCreate>(http.Request, ct).ConfigureAwait(false);
        if (body is null)
        {
            return problem!;
        }

        var errors = new FieldErrors();
        EndpointInput.CheckCommon(errors, body.Name, body.Direction, body.MaxConcurrency, body.PreferredRegion, creating: true);
        EndpointKind? kind = body.Type?.ToLowerInvariant() switch { "sftp" => EndpointKind.Sftp, "s3" => EndpointKind.S3, _ => null };
        if (kind is null)
        {
            errors.Add("type", "is required: sftp or s3");
            return errors.ToResult();
        }

        EndpointInput.CheckCredentials(errors, kind.Value, body.Credentials);
        SftpSettings? sftp = null;
        S3Settings? s3 = null;
        if (kind == EndpointKind.Sftp)
        {
            if (body.S3 is not null)
            {
                errors.Add("s3", "is for s3 endpoints; this one is sftp");
            }

            sftp = EndpointInput.Sftp(errors, body.Sftp, null, body.Credentials?.PrivateKey is null ? SftpAuthMethod.Password : SftpAuthMethod.PrivateKey);
        }
        else
        {
            if (body.Sftp is not null)
            {
                errors.Add("sftp", "is for sftp endpoints; this one is s3");
            }

            s3 = EndpointInput.S3(errors, body.S3, null, staticCredentials: body.Credentials?.AccessKeyId is not null);
        }

        if (errors.Any)
        {
            return errors.ToResult();
        }

        var now = s.Time.GetUtcNow();
        var endpoint = new Endpoint
        {
            EndpointId = Ids.New("ep_", 8),
            CustomerId = customerId,
            Name = body.Name!.Trim(),
            Kind = kind.Value,
            Direction = EndpointInput.ParseDirection(body.Direction)!.Value,
            MaxConcurrency = body.MaxConcurrency ?? 4,
            PreferredRegion = body.PreferredRegion,
            Sftp = sftp,
            S3 = s3,
            CreatedAt = now,
            UpdatedAt = now,
        };
        var credentials = body.Credentials?.ToCredentials() ?? new EndpointCredentials();
        (endpoint, problem) = await s.Connectivity.CheckAsync(endpoint, credentials, ct).ConfigureAwait(false);
        if (problem is not null)
        {
            return problem;
        }

        endpoint = endpoint with { ValidatedAt = s.Time.GetUtcNow() };
        if (body.Credentials is not null)
        {
            endpoint = endpoint with { SecretRef = await s.Secrets.PutAsync(customerId, CoreJson.Serialize(credentials), ct).ConfigureAwait(false) };
        }

        try
        {
            await s.Endpoints.CreateAsync(endpoint, ct).ConfigureAwait(false);
        }
        catch
        {
            // No half-written state: a secret without its endpoint is removed again.
            if (endpoint.SecretRef is { } orphan)
            {
                await s.Secrets.DeleteAsync(customerId, orphan, CancellationToken.None).ConfigureAwait(false);
            }

            throw;
        }

        await AuditAsync(s, http, endpoint, "endpoint.created", Describe(endpoint), ct).ConfigureAwait(false);
        return Respond(http, StatusCodes.Status201Created, endpoint);
    }

    private static async Task<IResult> ListAsync(HttpContext http, [AsParameters] Services s, string? cursor, int? limit, CancellationToken ct)
    {
        var customerId = Caller.CustomerOf(http);

        if (limit is < 1 or > 1000)
        {
            return Problems.Field("limit", "must be between 1 and 1000");
        }

        var page = await s.Endpoints.ListAsync(customerId, cursor, limit ?? 100, ct).ConfigureAwait(false);
        return Results.Ok(new { endpoints = page.Endpoints.Select(EndpointView.From), next_cursor = page.NextCursor });
    }

    private static async Task<IResult> GetAsync(string endpointId, HttpContext http, [AsParameters] Services s, CancellationToken ct)
    {
        var customerId = Caller.CustomerOf(http);

        var endpoint = await s.Endpoints.GetAsync(customerId, endpointId, ct).ConfigureAwait(false);
        return endpoint is null ? Problems.NotFound($"Endpoint {endpointId}") : Respond(http, StatusCodes.Status200OK, endpoint);
    }

    private static async Task<IResult> PatchAsync(string endpointId, HttpContext http, [AsParameters] Services s, CancellationToken ct)
    {
        var (current, refused) = await LoadForChangeAsync(endpointId, http, s, ifMatchRequired: true, ct).ConfigureAwait(false);
        if (current is null)
        {
            return refused!;
        }

        var (body, problem) = await JsonBody.ReadAsync<EndpointPatch>(http.Request, ct).ConfigureAwait(false);
        if (body is null)
        {
            return problem!;
        }

        var errors = new FieldErrors();
        EndpointInput.CheckCommon(errors, body.Name, body.Direction, body.MaxConcurrency, body.PreferredRegion, creating: false);
        if (current.Kind == EndpointKind.Sftp && body.S3 is not null)
        {
            errors.Add("s3", "is for s3 endpoints; this one is sftp");
        }

        if (current.Kind == EndpointKind.S3 && body.Sftp is not null)
        {
            errors.Add("sftp", "is for sftp endpoints; this one is s3");
        }

        var sftp = current.Sftp is { } cs && body.Sftp is not null ? EndpointInput.Sftp(errors, body.Sftp, cs, cs.Auth) : current.Sftp;
        var s3 = current.S3 is { } c3 && body.S3 is not null ? EndpointInput.S3(errors, body.S3, c3, c3.StaticCredentials) : current.S3;
        if (errors.Any)
        {
            return errors.ToResult();
        }

        var after = current with
        {
            Name = body.Name?.Trim() ?? current.Name,
            Direction = body.Direction is null ? current.Direction : EndpointInput.ParseDirection(body.Direction)!.Value,
            MaxConcurrency = body.MaxConcurrency ?? current.MaxConcurrency,
            PreferredRegion = body.PreferredRegion ?? current.PreferredRegion,
            Sftp = sftp,
            S3 = s3,
        };
        if (current.Status == EndpointStatus.Active && (after.Sftp != current.Sftp || after.S3 != current.S3))
        {
            // Connection settings changed on an active endpoint: it must still work before the change lands.
            var credentials = await LoadCredentialsAsync(s, current, ct).ConfigureAwait(false);
            (after, problem) = await s.Connectivity.CheckAsync(after, credentials, ct).ConfigureAwait(false);
            if (problem is not null)
            {
                return problem;
            }

            after = after with { ValidatedAt = s.Time.GetUtcNow() };
        }

        return await SaveAsync(http, s, current, after, "endpoint.updated", ct).ConfigureAwait(false);
    }

    private static async Task<IResult> SetStatusAsync(string endpointId, EndpointStatus status, HttpContext http, [AsParameters] Services s, CancellationToken ct)
    {
        var (current, refused) = await LoadForChangeAsync(endpointId, http, s, ifMatchRequired: false, ct).ConfigureAwait(false);
        if (current is null)
        {
            return refused!;
        }

        var after = current with { Status = status };
        if (status == EndpointStatus.Active)
        {
            // Activation re-checks connectivity: the partner may have changed things while it was off.
            var (checkedEndpoint, problem) = await s.Connectivity.CheckAsync(after, await LoadCredentialsAsync(s, current, ct).ConfigureAwait(false), ct).ConfigureAwait(false);
            if (problem is not null)
            {
                return problem;
            }

            after = checkedEndpoint with { ValidatedAt = s.Time.GetUtcNow() };
        }

        return await SaveAsync(http, s, current, after, status == EndpointStatus.Active ? "endpoint.activated" : "endpoint.deactivated", ct).ConfigureAwait(false);
    }

    private static async Task<IResult> RotateCredentialsAsync(string endpointId, HttpContext http, [AsParameters] Services s, CancellationToken ct)
    {
        var (current, refused) = await LoadForChangeAsync(endpointId, http, s, ifMatchRequired: false, ct).ConfigureAwait(false);
        if (current is null)
        {
            return refused!;
        }

        var (body, problem) = await JsonBody.ReadAsync<CredentialsInput>(http.Request, ct).ConfigureAwait(false);
        if (body is null)
        {
            return problem!;
        }

        var errors = new FieldErrors();
        EndpointInput.CheckCredentials(errors, current.Kind, body);
        if (errors.Any)
        {
            return errors.ToResult();
        }

        var credentials = body.ToCredentials();
        var after = current with
        {
            Sftp = current.Sftp is { } sftp ? sftp with { Auth = body.PrivateKey is null ? SftpAuthMethod.Password : SftpAuthMethod.PrivateKey } : null,
            S3 = current.S3 is { } s3 ? s3 with { StaticCredentials = body.AccessKeyId is not null } : null,
        };
        (after, problem) = await s.Connectivity.CheckAsync(after, credentials, ct).ConfigureAwait(false);
        if (problem is not null)
        {
            return problem;
        }

        var reference = await s.Secrets.PutAsync(current.CustomerId, CoreJson.Serialize(credentials), ct).ConfigureAwait(false);
        var result = await SaveAsync(http, s, current, after with { SecretRef = reference, ValidatedAt = s.Time.GetUtcNow() }, "endpoint.credentials_rotated", ct)
            .ConfigureAwait(false);
        // Whichever secret lost is removed: the old one after a rotation, the new one after a version conflict.
        var saved = result is IStatusCodeHttpResult { StatusCode: StatusCodes.Status200OK };
        var unused = saved ? current.SecretRef : reference;
        if (unused is not null)
        {
            await s.Secrets.DeleteAsync(current.CustomerId, unused, CancellationToken.None).ConfigureAwait(false);
        }

        return result;
    }

    /// <summary>The caller's endpoint to change, or the 403/404/412/428 that stops the change.</summary>
    private static async Task<(Endpoint? Current, IResult? Problem)> LoadForChangeAsync(
        string endpointId, HttpContext http, Services s, bool ifMatchRequired, CancellationToken ct)
    {
        var customerId = Caller.CustomerOf(http);

        var current = await s.Endpoints.GetAsync(customerId, endpointId, ct).ConfigureAwait(false);
        if (current is null)
        {
            return (null, Problems.NotFound($"Endpoint {endpointId}"));
        }

        return IfMatch.Check(http, "endpoint", current.Version, ifMatchRequired) is { } precondition ? (null, precondition) : (current, null);
    }

    private static async Task<EndpointCredentials> LoadCredentialsAsync(Services s, Endpoint endpoint, CancellationToken ct) =>
        endpoint.SecretRef is { } reference && await s.Secrets.GetAsync(endpoint.CustomerId, reference, ct).ConfigureAwait(false) is { } json
            ? CoreJson.DeserializeCredentials(json)
            : new EndpointCredentials();

    private static async Task<IResult> SaveAsync(HttpContext http, Services s, Endpoint current, Endpoint after, string action, CancellationToken ct)
    {
        after = after with { Version = current.Version + 1, UpdatedAt = s.Time.GetUtcNow() };
        if (!await s.Endpoints.UpdateAsync(after, current.Version, ct).ConfigureAwait(false))
        {
            return IfMatch.Conflict("Endpoint", current.EndpointId);
        }

        await AuditAsync(s, http, after, action, Changes(current, after), ct).ConfigureAwait(false);
        return Respond(http, StatusCodes.Status200OK, after);
    }

    private static IResult Respond(HttpContext http, int status, Endpoint endpoint)
    {
        IfMatch.SetETag(http, endpoint.Version);
        return status == StatusCodes.Status201Created
            ? Results.Created($"/v1/endpoints/{endpoint.EndpointId}", EndpointView.From(endpoint))
            : Results.Ok(EndpointView.From(endpoint));
    }

    private static Task AuditAsync(Services s, HttpContext http, Endpoint endpoint, string action, string changes, CancellationToken ct) =>
        s.Audit.AppendAsync(new AuditEntry(Ids.Sequential("aud_"), endpoint.CustomerId, s.Time.GetUtcNow(), Caller.Of(http).Actor, action, "endpoint",
            endpoint.EndpointId, changes), ct);

    /// <summary>The endpoint's public settings as JSON (the view: never credentials).</summary>
    private static string Describe(Endpoint e) => JsonSerializer.Serialize(EndpointView.From(e), ApiJson.Options);

    /// <summary>Fields whose public value changed: {"field": {"from": ..., "to": ...}}.</summary>
    private static string Changes(Endpoint before, Endpoint after)
    {
        var a = JsonSerializer.SerializeToElement(EndpointView.From(before), ApiJson.Options);
        var b = JsonSerializer.SerializeToElement(EndpointView.From(after), ApiJson.Options);
        var changes = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var p in b.EnumerateObject())
        {
            if (p.Name is "updated_at" or "version" or "validated_at")
            {
                continue;
            }

            var old = a.TryGetProperty(p.Name, out var o) ? o.GetRawText() : "null";
            if (old != p.Value.GetRawText())
            {
                changes[p.Name] = new { from = a.TryGetProperty(p.Name, out var v) ? (object)v : null, to = p.Value };
            }
        }

        return JsonSerializer.Serialize(changes, ApiJson.Options);
    }
}
