using System.Text.RegularExpressions;

namespace Ferry.Server.Tests.Support;

/// <summary>Reads samples from a Prometheus text page (the server's /metrics).</summary>
public static partial class PrometheusPage
{
    /// <summary>The value of the one sample of <paramref name="metric"/> whose labels include all of <paramref name="labels"/>; null if none.</summary>
    public static double? Value(string page, string metric, params string[] labels)
    {
        var samples = page.Split('\n')
            .Select(line => SampleLine().Match(line))
            .Where(m => m.Success && m.Groups["name"].Value == metric && labels.All(l => m.Groups["labels"].Value.Contains(l, StringComparison.Ordinal)))
            .Select(m => double.Parse(m.Groups["value"].Value, System.Globalization.CultureInfo.InvariantCulture))
            .ToList();
        return samples.Count == 1 ? samples[0] : samples.Count == 0 ? null : throw new InvalidOperationException($"{samples.Count} samples of {metric} match");
    }

    [GeneratedRegex(@"^(?<name>[a-z_]+)(\{(?<labels>[^}]*)\})? (?<value>[0-9.eE+-]+)")]
    private static partial Regex SampleLine();
}
