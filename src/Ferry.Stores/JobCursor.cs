using System.Buffers.Text;
using System.Globalization;
using System.Text;

namespace Ferry.Stores;

/// <summary>Opaque keyset cursor: the (created_at, job_id) of the last job on a page.</summary>
internal static class JobCursor
{
    public static string Encode(long createdMs, string jobId) =>
        Base64Url.EncodeToString(Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{createdMs}|{jobId}")));

    public static (long CreatedMs, string JobId) Decode(string cursor)
    {
        try
        {
            var text = Encoding.UTF8.GetString(Base64Url.DecodeFromChars(cursor));
            var bar = text.IndexOf('|', StringComparison.Ordinal);
            return (long.Parse(text[..bar], CultureInfo.InvariantCulture), text[(bar + 1)..]);
        }
        catch (Exception ex) when (ex is FormatException or ArgumentOutOfRangeException or OverflowException)
        {
            throw new ArgumentException("The cursor is not one this server issued.", nameof(cursor), ex);
        }
    }
}
