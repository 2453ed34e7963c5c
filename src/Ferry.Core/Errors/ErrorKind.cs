namespace Ferry.Core.Errors;

/// <summary>Whether retrying the same operation can succeed.</summary>
public enum ErrorKind
{
    /// <summary>Network drops, timeouts, 5xx, throttling: a retry with backoff may succeed.</summary>
    Transient,

    /// <summary>Authentication, host key mismatch, not found, permission, bad input: retrying cannot help.</summary>
    Permanent,
}
