using System.Globalization;

namespace Ferry.Cli.Output;

/// <summary>Human-readable sizes, rates and durations.</summary>
internal static class Units
{
    public static string Bytes(double bytes)
    {
        string[] units = ["B", "KiB", "MiB", "GiB", "TiB"];
        var i = 0;
        while (bytes >= 1024 && i < units.Length - 1)
        {
            bytes /= 1024;
            i++;
        }

        return string.Create(CultureInfo.InvariantCulture, $"{bytes:0.#} {units[i]}");
    }

    /// <summary>Decimal megabytes per second, as OpenSSH and rclone report throughput.</summary>
    public static string Rate(double bytesPerSecond) => string.Create(CultureInfo.InvariantCulture, $"{bytesPerSecond / 1e6:0.0} MB/s");

    public static string Duration(TimeSpan t) => t.TotalHours >= 1 ? t.ToString(@"h\:mm\:ss", CultureInfo.InvariantCulture) : t.ToString(@"m\:ss", CultureInfo.InvariantCulture);
}
