using System.Globalization;
using Microsoft.AspNetCore.Http;

namespace Ferry.Server.Api;

/// <summary>Optimistic concurrency on versioned records: the ETag is the version, quoted.</summary>
internal static class IfMatch
{
    /// <summary>412 when If-Match names another version; 428 when it is required and missing; null when the change may go ahead.</summary>
    public static IResult? Check(HttpContext http, string what, long version, bool required)
    {
        var ifMatch = http.Request.Headers.IfMatch.ToString();
        if (ifMatch.Length == 0)
        {
            return required
                ? Problems.Status(StatusCodes.Status428PreconditionRequired, "Precondition required",
                    $"Send If-Match with the {what}'s ETag (\"{version}\") so a concurrent change is not overwritten.")
                : null;
        }

        return ifMatch.Trim().Trim('"') == version.ToString(CultureInfo.InvariantCulture) || ifMatch.Trim() == "*"
            ? null
            : Problems.Status(StatusCodes.Status412PreconditionFailed, "Precondition failed",
                $"If-Match {ifMatch} does not match the {what}'s current version \"{version}\".", "version-conflict");
    }

    /// <summary>The 412 for a write that lost a race after its If-Match check passed.</summary>
    public static IResult Conflict(string what, string id) =>
        Problems.Status(StatusCodes.Status412PreconditionFailed, "Precondition failed",
            $"{what} {id} was changed by someone else meanwhile; read it again and retry with its new ETag.", "version-conflict");

    public static void SetETag(HttpContext http, long version) => http.Response.Headers.ETag = $"\"{version}\"";
}
