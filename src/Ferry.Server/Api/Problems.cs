using Microsoft.AspNetCore.Http;

namespace Ferry.Server.Api;

/// <summary>The API's error responses: RFC 9457 ProblemDetails with a stable type per kind.</summary>
internal static class Problems
{
    private const string TypeBase = "https://ferry.dev/problems/";

    public static IResult Field(string field, string reason) => Validation(new Dictionary<string, string[]> { [field] = [reason] });

    public static IResult Validation(IDictionary<string, string[]> errors) =>
        Results.ValidationProblem(errors, detail: string.Join("; ", errors.Select(e => $"{e.Key}: {string.Join(", ", e.Value)}")),
            title: "The request is invalid", type: TypeBase + "validation");

    public static IResult NotFound(string what) => Status(StatusCodes.Status404NotFound, "Not found", $"{what} does not exist.", "not-found");

    public static IResult Conflict(string detail, string kind = "conflict") => Status(StatusCodes.Status409Conflict, "Conflict", detail, kind);

    public static IResult Status(int status, string title, string detail, string? kind = null, IDictionary<string, object?>? extensions = null) =>
        Results.Problem(detail: detail, statusCode: status, title: title, type: TypeBase + (kind ?? title.ToLowerInvariant().Replace(' ', '-')), extensions: extensions);

    public static IResult TooManyRequests(HttpContext context, int retryAfterSeconds, string detail)
    {
        context.Response.Headers.RetryAfter = retryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return Status(StatusCodes.Status429TooManyRequests, "Too many requests", detail, "backpressure");
    }
}

/// <summary>Collects field errors while a request is checked, so one response names them all.</summary>
internal sealed class FieldErrors
{
    private readonly Dictionary<string, List<string>> _errors = new(StringComparer.Ordinal);

    public bool Any => _errors.Count > 0;

    /// <summary>Reasons recorded so far (to tell whether a check added any).</summary>
    public int Count => _errors.Values.Sum(l => l.Count);

    public void Add(string field, string reason)
    {
        if (!_errors.TryGetValue(field, out var list))
        {
            _errors[field] = list = [];
        }

        list.Add(reason);
    }

    public IResult ToResult() => Problems.Validation(_errors.ToDictionary(e => e.Key, e => e.Value.ToArray(), StringComparer.Ordinal));
}
