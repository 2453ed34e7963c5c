namespace Ferry.TestRig;

/// <summary>What the proxy sees of HTTP/1.1 passing through: request heads, and a body to damage.</summary>
public sealed partial class FaultProxy
{
    /// <summary>
    /// The head (request line and headers) of every HTTP/1.1 request clients sent through, in
    /// order: what a client put on the wire, which its own logging may not show.
    /// </summary>
    public IReadOnlyList<string> HttpRequestHeads
    {
        get
        {
            lock (_heads)
            {
                return [.. _heads];
            }
        }
    }

    private readonly List<string> _heads = [];

    private void RecordRequestHead(ReadOnlySpan<byte> sent)
    {
        if (sent.IsEmpty || sent[0] is < (byte)'A' or > (byte)'Z')
        {
            return; // not the start of a request (a body, or not HTTP at all)
        }

        var text = System.Text.Encoding.Latin1.GetString(sent[..Math.Min(sent.Length, 8192)]);
        var end = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        if (end > 0 && StartsRequest(sent))
        {
            lock (_heads)
            {
                _heads.Add(text[..end]);
            }
        }
    }

    private static readonly string[] HttpMethods = ["GET", "PUT", "POST", "HEAD", "DELETE"];

    private static bool StartsRequest(ReadOnlySpan<byte> sent)
    {
        var start = System.Text.Encoding.Latin1.GetString(sent[..Math.Min(sent.Length, 8)]);
        return HttpMethods.Any(m => start.StartsWith(m + " ", StringComparison.Ordinal));
    }

    private string? _damagePrefix;
    private long _damageAt;

    /// <summary>Bodies damaged so far by <see cref="DamageBody"/>.</summary>
    public int BodiesDamaged { get; private set; }

    /// <summary>
    /// Flips the byte at <paramref name="offset"/> of the body of the next HTTP request whose head
    /// starts with <paramref name="headPrefix"/> (e.g. "PUT /bucket/key?partNumber=2"), once: a
    /// bit error that TCP's checksum missed, which only an end-to-end hash can catch.
    /// </summary>
    public void DamageBody(string headPrefix, long offset)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        _damageAt = offset;
        _damagePrefix = headPrefix;
    }

    /// <summary>Where the body of the request to damage has got to on one connection; null when none is passing.</summary>
    private sealed class BodyPosition
    {
        public long? Offset;
    }

    private void DamageIfDue(Span<byte> sent, BodyPosition body)
    {
        var start = 0;
        if (StartsRequest(sent))
        {
            body.Offset = null; // the request before it on this connection has ended
        }

        if (_damagePrefix is { } prefix && sent.Length > prefix.Length
            && System.Text.Encoding.Latin1.GetString(sent[..prefix.Length]) == prefix)
        {
            var head = sent.IndexOf("\r\n\r\n"u8);
            if (head < 0)
            {
                return;
            }

            start = head + 4;
            body.Offset = 0;
        }

        if (body.Offset is not { } offset)
        {
            return;
        }

        var at = _damageAt - offset;
        if (at >= 0 && at < sent.Length - start && Interlocked.Exchange(ref _damagePrefix, null) is not null)
        {
            sent[start + (int)at] ^= 0x5A;
            BodiesDamaged++;
            body.Offset = null;
            return;
        }

        body.Offset = offset + sent.Length - start;
    }
}
