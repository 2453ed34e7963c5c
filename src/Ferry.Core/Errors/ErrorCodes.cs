namespace Ferry.Core.Errors;

/// <summary>
/// Stable, machine-readable error codes. They appear in job records, API problem types and
/// CLI output, so they never change meaning once published.
/// </summary>
public static class ErrorCodes
{
    // Permanent
    public const string AuthenticationFailed = "AUTHENTICATION_FAILED";
    public const string HostKeyMismatch = "HOST_KEY_MISMATCH";
    public const string HostKeyNotTrusted = "HOST_KEY_NOT_TRUSTED";
    public const string NotFound = "NOT_FOUND";
    public const string PermissionDenied = "PERMISSION_DENIED";
    public const string AlreadyExists = "ALREADY_EXISTS";
    public const string InvalidPath = "INVALID_PATH";
    public const string InvalidConfiguration = "INVALID_CONFIGURATION";
    public const string HostNotFound = "HOST_NOT_FOUND";
    public const string ChecksumMismatch = "CHECKSUM_MISMATCH";
    public const string SizeMismatch = "SIZE_MISMATCH";
    public const string Unsupported = "UNSUPPORTED";
    public const string TooLarge = "TOO_LARGE";

    /// <summary>The store kept an object without the server-side encryption the endpoint asks for (Ferry removed it).</summary>
    public const string EncryptionNotApplied = "ENCRYPTION_NOT_APPLIED";

    /// <summary>The file was delivered and verified, but deleting or archiving the source failed.</summary>
    public const string PostActionFailed = "POST_ACTION_FAILED";

    // Transient
    public const string ConnectionFailed = "CONNECTION_FAILED";
    public const string Timeout = "TIMEOUT";
    public const string Throttled = "THROTTLED";
    public const string ServerError = "SERVER_ERROR";
    public const string SourceChanged = "SOURCE_CHANGED";
    public const string InternalError = "INTERNAL_ERROR";

    /// <summary>A partial write to continue (a multipart upload) vanished between the check and the resume.</summary>
    public const string ResumeFailed = "RESUME_FAILED";

    /// <summary>A multipart upload was aborted or completed by someone else while Ferry was sending its parts.</summary>
    public const string UploadGone = "UPLOAD_GONE";
}
