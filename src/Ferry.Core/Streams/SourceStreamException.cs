using System.Runtime.ExceptionServices;

namespace Ferry.Core.Streams;

/// <summary>
/// Marks a failure of the stream a connector was asked to write from, so the connector does not
/// mistake it for a failure of its own store (a dropped source connection is not the target's
/// network error). Connectors unwrap it with <see cref="RethrowIfSource"/>: a write whose source
/// fails throws what the source threw.
/// </summary>
public sealed class SourceStreamException(Exception inner) : Exception(inner.Message, inner)
{
    /// <summary>Rethrows the source's own exception if <paramref name="ex"/> is, or wraps, a source failure.</summary>
    public static void RethrowIfSource(Exception ex)
    {
        for (var e = ex; e is not null; e = e.InnerException)
        {
            if (e is SourceStreamException s)
            {
                ExceptionDispatchInfo.Throw(s.InnerException!);
            }
        }
    }
}
