using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace Ferry.Server.Api.Json;

/// <summary>
/// Reads a request body into <typeparamref name="T"/>, turning every way it can be wrong
/// (not JSON, malformed, unknown or mistyped field, too large, empty) into a ProblemDetails
/// response that names the field, instead of the framework's bare 400 or a 500.
/// </summary>
internal static class JsonBody
{
    public static async Task<(T? Value, IResult? Problem)> ReadAsync<T>(HttpRequest request, CancellationToken cancellationToken) where T : class
    {
        if (!(request.ContentType ?? "").StartsWith("application/json", StringComparison.OrdinalIgnoreCase))
        {
            return (null, Problems.Status(StatusCodes.Status415UnsupportedMediaType, "Unsupported media type",
                "Send the body as JSON with Content-Type: application/json."));
        }

        if (request.ContentLength > ApiJson.MaxBodyBytes)
        {
            return (null, TooLarge());
        }

        try
        {
            var value = await JsonSerializer.DeserializeAsync<T>(request.Body, ApiJson.Options, cancellationToken).ConfigureAwait(false);
            return value is null ? (null, Problems.Field("$", "the body must be a JSON object")) : (value, null);
        }
        catch (JsonException ex)
        {
            return (null, Problems.Field(FieldOf(ex.Path), Reason(ex)));
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return (null, TooLarge());
        }
    }

    private static IResult TooLarge() => Problems.Status(StatusCodes.Status413PayloadTooLarge, "Request body too large",
        $"The body may be at most {ApiJson.MaxBodyBytes / 1024} KiB.");

    /// <summary>"$.source.path" becomes "source.path"; the root stays "$".</summary>
    private static string FieldOf(string? path) => string.IsNullOrEmpty(path) || path == "$" ? "$" : path.StartsWith("$.", StringComparison.Ordinal) ? path[2..] : path;

    private static string Reason(JsonException ex)
    {
        var message = ex.Message;
        if (message.Contains("could not be mapped", StringComparison.Ordinal))
        {
            return "unknown field";
        }

        if (message.Contains("could not be converted", StringComparison.Ordinal))
        {
            return "has the wrong type or an unknown value";
        }

        if (message.Contains("maximum configured depth", StringComparison.Ordinal))
        {
            return "is nested too deeply";
        }

        return "is not valid JSON";
    }
}
