namespace Ferry.Core.Errors;

/// <summary>
/// The one exception type that crosses a connector or flow boundary. Connectors translate
/// their SDK's exceptions into it, so callers decide on retries from <see cref="Kind"/> and
/// never from SDK types.
/// </summary>
public sealed class FerryException : Exception
{
    public FerryException(ErrorKind kind, string code, string message, Exception? inner = null)
        : base(message, inner)
    {
        Kind = kind;
        Code = code;
    }

    public ErrorKind Kind { get; }

    /// <summary>One of <see cref="ErrorCodes"/>.</summary>
    public string Code { get; }

    public bool IsTransient => Kind == ErrorKind.Transient;

    public static FerryException Permanent(string code, string message, Exception? inner = null) =>
        new(ErrorKind.Permanent, code, message, inner);

    public static FerryException Transient(string code, string message, Exception? inner = null) =>
        new(ErrorKind.Transient, code, message, inner);

    public static FerryException NotFound(string what) =>
        Permanent(ErrorCodes.NotFound, $"{what} does not exist");
}
