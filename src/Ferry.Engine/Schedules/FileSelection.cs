using System.Globalization;
using System.Text.RegularExpressions;
using Ferry.Core.Connectors;
using Ferry.Core.Paths;
using Ferry.Core.Schedules;

namespace Ferry.Engine.Schedules;

/// <summary>
/// The filters a schedule applies to one listing, before anything is created: include/exclude
/// globs, marker files, minimum age. Each file left behind gets the reason an operator will read.
/// </summary>
internal sealed class FileSelection(Schedule schedule)
{
    private readonly Regex[] _include = schedule.Include.Select(Glob.ToRegex).ToArray();
    private readonly Regex[] _exclude = schedule.Exclude.Select(Glob.ToRegex).ToArray();

    /// <summary>A marker file ("x.csv.done"): it signals another file and is never transferred itself.</summary>
    public bool IsMarker(string relative) => schedule.MarkerSuffixes.Any(s => relative.EndsWith(s, StringComparison.Ordinal) && relative.Length > s.Length);

    /// <summary>Null when the file may be taken now, else (reason, detail).</summary>
    public (string Reason, string Detail)? Check(string relative, RemoteEntry entry, IReadOnlyDictionary<string, RemoteEntry> listing, DateTimeOffset now)
    {
        if (_include.Length > 0 && !_include.Any(r => r.IsMatch(relative)))
        {
            return (DecisionReasons.Excluded, $"matches none of the include patterns ({string.Join(", ", schedule.Include)})");
        }

        if (_exclude.FirstOrDefault(r => r.IsMatch(relative)) is { } excluded)
        {
            return (DecisionReasons.Excluded, $"matches the exclude pattern {schedule.Exclude[Array.IndexOf(_exclude, excluded)]}");
        }

        if (schedule.MarkerSuffixes.Count > 0 && !schedule.MarkerSuffixes.Any(s => listing.ContainsKey(relative + s)))
        {
            return (DecisionReasons.NoMarker, $"waiting for a marker file: {string.Join(" or ", schedule.MarkerSuffixes.Select(s => RemotePath.FileName(relative) + s))}");
        }

        if (entry.LastModified is { } modified && now - modified < schedule.MinAge)
        {
            return (DecisionReasons.TooNew, $"modified {Seconds(now - modified)} ago; taken once it is {Seconds(schedule.MinAge)} old");
        }

        return null;
    }

    /// <summary>Null when the second look saw the same file, else why it must wait.</summary>
    public static (string Reason, string Detail)? CheckStable(RemoteEntry first, RemoteEntry? second, TimeSpan between)
    {
        if (second is null)
        {
            return (DecisionReasons.Vanished, "was gone (renamed or deleted) when looked at again");
        }

        if (second.Size != first.Size)
        {
            return (DecisionReasons.Changing, $"grew from {first.Size:N0} to {second.Size:N0} bytes within {Seconds(between)}; still being written");
        }

        if (second.LastModified != first.LastModified || second.ETag != first.ETag)
        {
            return (DecisionReasons.Changing, $"was modified again within {Seconds(between)}; still being written");
        }

        return null;
    }

    private static string Seconds(TimeSpan t) => t.TotalSeconds.ToString("0.#", CultureInfo.InvariantCulture) + " s";
}
