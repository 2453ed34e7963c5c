using System.Net;
using System.Net.Sockets;
using Amazon.Runtime;
using Amazon.S3;
using Ferry.Core.Errors;

namespace Ferry.Connectors.S3;

/// <summary>Translates AWS SDK exceptions into Ferry's transient/permanent errors.</summary>
internal static class S3Errors
{
    public static FerryException Classify(Exception ex, string where)
    {
        switch (ex)
        {
            case FerryException fe:
                return fe;
            case AmazonServiceException se:
                return ClassifyService(se, where);
            case HttpRequestException { InnerException: SocketException sock }:
                return ClassifySocket(sock, where, ex);
            case SocketException sock:
                return ClassifySocket(sock, where, ex);
            case HttpRequestException or IOException:
                return FerryException.Transient(ErrorCodes.ConnectionFailed, $"{where}: the connection failed ({ex.Message.TrimEnd('.')})", ex);
            case TaskCanceledException or TimeoutException:
                return FerryException.Transient(ErrorCodes.Timeout, $"{where}: the request timed out", ex);
            case AmazonClientException when ex.Message.Contains("credential", StringComparison.OrdinalIgnoreCase):
                return FerryException.Permanent(ErrorCodes.AuthenticationFailed,
                    $"{where}: no AWS credentials were found ({ex.Message.TrimEnd('.')}). Give an access key, or run where the default chain finds one.", ex);
            case AmazonClientException when ex.InnerException is not null:
                return Classify(ex.InnerException, where);
            default:
                return FerryException.Transient(ErrorCodes.ServerError, $"{where}: {ex.GetType().Name}: {ex.Message}", ex);
        }
    }

    private static FerryException ClassifyService(AmazonServiceException se, string where)
    {
        var code = se.ErrorCode ?? "";
        var detail = string.IsNullOrEmpty(se.Message) ? code : $"{code}: {se.Message}";
        if (code.StartsWith("KMS.", StringComparison.Ordinal) || se.Message?.Contains("kms-keyid", StringComparison.OrdinalIgnoreCase) == true)
        {
            // AWS names KMS failures "KMS.*"; Ceph RGW answers an unknown key with InvalidAccessKeyId and names the key id.
            return FerryException.Permanent(ErrorCodes.InvalidConfiguration,
                $"{where}: the store cannot use the endpoint's KMS key ({detail}). Check kms_key_id, and that the key exists, is enabled and may be used.", se);
        }

        switch (code)
        {
            case "NoSuchKey":
                return FerryException.Permanent(ErrorCodes.NotFound, $"{where}: no such object", se);
            case "NoSuchBucket":
                return FerryException.Permanent(ErrorCodes.NotFound, $"{where}: the bucket does not exist", se);
            case "InvalidAccessKeyId" or "SignatureDoesNotMatch" or "InvalidToken" or "ExpiredToken" or "TokenRefreshRequired":
                return FerryException.Permanent(ErrorCodes.AuthenticationFailed,
                    $"{where}: the store rejected the credentials ({detail}). Check the access key and secret.", se);
            case "AccessDenied" or "AllAccessDisabled" or "AccountProblem":
                return FerryException.Permanent(ErrorCodes.PermissionDenied, $"{where}: access denied ({detail})", se);
            case "PreconditionFailed" or "ConditionalRequestConflict":
                return FerryException.Permanent(ErrorCodes.AlreadyExists, $"{where} already exists", se);
            case "BadDigest" or "InvalidDigest" or "XAmzContentSHA256Mismatch":
                return FerryException.Transient(ErrorCodes.ChecksumMismatch,
                    $"{where}: the store computed a different checksum for the bytes it received ({code}); data was damaged in transit", se);
            case "SlowDown" or "Throttling" or "ThrottlingException" or "RequestLimitExceeded" or "TooManyRequests":
                return FerryException.Transient(ErrorCodes.Throttled, $"{where}: the store asked Ferry to slow down ({code})", se);
            case "NoSuchUpload":
                // Aborted by someone else (a lifecycle rule, a worker that took the job over and
                // finished first) or completed already: a new attempt starts a new one, or finds the object.
                return FerryException.Transient(ErrorCodes.UploadGone,
                    $"{where}: the multipart upload no longer exists (completed or aborted elsewhere); the next attempt starts again", se);
            case "RequestTimeout" or "RequestTimeTooSkewed":
                return FerryException.Transient(ErrorCodes.Timeout, $"{where}: {detail}", se);
            case "EntityTooLarge" or "InvalidArgument" or "InvalidRequest" or "InvalidBucketName" or "KeyTooLongError" or "MethodNotAllowed":
                return FerryException.Permanent(ErrorCodes.InvalidConfiguration, $"{where}: the store refused the request ({detail})", se);
        }

        return se.StatusCode switch
        {
            HttpStatusCode.NotFound => FerryException.Permanent(ErrorCodes.NotFound, $"{where}: not found", se),
            HttpStatusCode.Forbidden => FerryException.Permanent(ErrorCodes.PermissionDenied, $"{where}: access denied ({detail})", se),
            HttpStatusCode.PreconditionFailed => FerryException.Permanent(ErrorCodes.AlreadyExists, $"{where} already exists", se),
            HttpStatusCode.TooManyRequests or HttpStatusCode.ServiceUnavailable =>
                FerryException.Transient(ErrorCodes.Throttled, $"{where}: the store is busy ({detail})", se),
            >= HttpStatusCode.InternalServerError => FerryException.Transient(ErrorCodes.ServerError, $"{where}: server error ({detail})", se),
            HttpStatusCode.RequestTimeout => FerryException.Transient(ErrorCodes.Timeout, $"{where}: {detail}", se),
            0 when se.InnerException is not null => Classify(se.InnerException, where),
            _ => FerryException.Permanent(ErrorCodes.ServerError, $"{where}: the store refused the request ({(int)se.StatusCode} {detail})", se),
        };
    }

    private static FerryException ClassifySocket(SocketException sock, string where, Exception outer) => sock.SocketErrorCode switch
    {
        SocketError.HostNotFound or SocketError.NoData => FerryException.Permanent(ErrorCodes.HostNotFound, $"{where}: the host name does not resolve", outer),
        SocketError.ConnectionRefused => FerryException.Transient(ErrorCodes.ConnectionFailed,
            $"{where}: connection refused (nothing listens on that port, or a firewall rejects it)", outer),
        SocketError.TimedOut => FerryException.Transient(ErrorCodes.Timeout, $"{where}: the connection timed out", outer),
        _ => FerryException.Transient(ErrorCodes.ConnectionFailed, $"{where}: network error {sock.SocketErrorCode}", outer),
    };
}
