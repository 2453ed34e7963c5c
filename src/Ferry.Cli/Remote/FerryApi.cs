using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Ferry.Cli.Commands;

namespace Ferry.Cli.Remote;

/// <summary>
/// Calls a Ferry server's REST API with a customer's API key. Each answer comes back typed and as
/// the server's own JSON (what <c>--json</c> prints). Failures become a <see cref="RemoteException"/>
/// whose exit code tells a script what to do: 2 for a request the server refused (4xx: fix the
/// input or the key), 3 for a server out of reach, overloaded (429) or failing (5xx: try again).
/// </summary>
internal sealed class FerryApi : IDisposable
{
    /// <summary>Longer than the longest long poll the API allows (60 s).</summary>
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(90);

    private readonly HttpClient _http;

    public FerryApi(ServerConnection connection)
    {
        _http = new HttpClient(new SocketsHttpHandler { ConnectTimeout = TimeSpan.FromSeconds(10) })
        {
            BaseAddress = connection.BaseAddress,
            Timeout = RequestTimeout,
        };
        _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", connection.ApiKey);
        _http.DefaultRequestHeaders.UserAgent.Add(new ProductInfoHeaderValue("ferry-cli", typeof(FerryApi).Assembly.GetName().Version?.ToString(3) ?? "0"));
    }

    public Uri BaseAddress => _http.BaseAddress!;

    public Task<Answer<T>> GetAsync<T>(string path, JsonTypeInfo<T> type, CancellationToken cancellationToken) =>
        SendAsync(new HttpRequestMessage(HttpMethod.Get, path), type, cancellationToken);

    public Task<Answer<T>> PostAsync<T, TBody>(string path, TBody? body, JsonTypeInfo<TBody> bodyType, JsonTypeInfo<T> type, CancellationToken cancellationToken,
        string? idempotencyKey = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path);
        if (body is not null)
        {
            request.Content = new StringContent(JsonSerializer.Serialize(body, bodyType), Encoding.UTF8, "application/json");
        }

        if (idempotencyKey is not null)
        {
            request.Headers.Add("Idempotency-Key", idempotencyKey);
        }

        return SendAsync(request, type, cancellationToken);
    }

    /// <summary>A POST without a body (cancel, redrive).</summary>
    public Task<Answer<T>> PostAsync<T>(string path, JsonTypeInfo<T> type, CancellationToken cancellationToken) =>
        SendAsync(new HttpRequestMessage(HttpMethod.Post, path), type, cancellationToken);

    private async Task<Answer<T>> SendAsync<T>(HttpRequestMessage request, JsonTypeInfo<T> type, CancellationToken cancellationToken)
    {
        using (request)
        {
            HttpResponseMessage? response = null;
            string json;
            try
            {
                response = await _http.SendAsync(request, cancellationToken);
                json = await response.Content.ReadAsStringAsync(cancellationToken);
            }
            catch (Exception e) when (e is HttpRequestException or IOException)
            {
                response?.Dispose();
                throw RemoteException.Transient($"cannot reach the Ferry server at {BaseAddress}: {Reasons(e)}");
            }
            catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                response?.Dispose();
                throw RemoteException.Transient($"the Ferry server at {BaseAddress} did not answer {request.Method} /{request.RequestUri} within {RequestTimeout.TotalSeconds:0} s");
            }

            using (response)
            {
                if (!response.IsSuccessStatusCode)
                {
                    throw Refusal(response, json, request);
                }

                try
                {
                    return new Answer<T>(JsonSerializer.Deserialize(json, type)!, json, response.StatusCode);
                }
                catch (JsonException e)
                {
                    throw RemoteException.Transient($"{BaseAddress} answered {request.Method} /{request.RequestUri} with something other than Ferry's JSON ({e.Message}); is it a Ferry server?");
                }
            }
        }
    }

    private RemoteException Refusal(HttpResponseMessage response, string json, HttpRequestMessage request)
    {
        var status = (int)response.StatusCode;
        var what = $"{request.Method} /{request.RequestUri}";
        var problem = ParseProblem(json);
        var text = problem is null
            ? $"{what}: the server answered {status} {response.ReasonPhrase}"
            : $"{problem.Title ?? response.ReasonPhrase}: {Describe(problem)}";
        return status switch
        {
            401 => RemoteException.Usage($"the server at {BaseAddress} refused the API key (401): {problem?.Detail ?? "unknown or revoked key"}"),
            429 => RemoteException.Transient(text + (response.Headers.RetryAfter?.Delta is { } d ? $" (try again in {d.TotalSeconds:0} s)" : "")),
            >= 500 => RemoteException.Transient($"{what}: the server failed ({status}): {problem?.Detail ?? response.ReasonPhrase}"),
            _ => RemoteException.Refused(ExitCodes.Usage, text),
        };
    }

    /// <summary>
    /// The exception's message and its causes' (HttpClient's own says "see inner exception" where
    /// the reason is, e.g. an untrusted certificate); for a certificate, how to trust a private CA.
    /// </summary>
    private static string Reasons(Exception e)
    {
        var reasons = new List<string>();
        for (Exception? x = e; x is not null; x = x.InnerException)
        {
            reasons.Add(x.Message.Replace(", see inner exception.", "", StringComparison.Ordinal).TrimEnd('.'));
        }

        var text = string.Join(": ", reasons.Distinct());
        return e.InnerException is System.Security.Authentication.AuthenticationException
            ? text + " (a certificate from a private CA: name the CA's PEM file in SSL_CERT_FILE)"
            : text;
    }

    private static ProblemDto? ParseProblem(string json)
    {
        try
        {
            return json.Length > 0 ? JsonSerializer.Deserialize(json, RemoteJson.Default.ProblemDto) : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>The detail, or the fields and their reasons when the server named them.</summary>
    private static string Describe(ProblemDto problem) =>
        problem.Errors is { Count: > 0 } errors
            ? string.Join("; ", errors.Select(e => $"{e.Key}: {string.Join(", ", e.Value)}"))
            : problem.Detail ?? "(no detail)";

    public void Dispose() => _http.Dispose();
}

/// <summary>An answer: typed, and the server's JSON as it came.</summary>
internal sealed record Answer<T>(T Value, string Json, HttpStatusCode Status);
