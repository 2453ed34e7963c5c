using System.Globalization;
using System.Text;
using Ferry.Core.Paths;

namespace Ferry.Core.Schedules;

/// <summary>
/// Target paths for files a schedule or trigger picks up. Placeholders: {path} (the file's path
/// under the listed directory), {name}, {stem} (name without its last extension), {ext} (the
/// extension without the dot), {date:FORMAT} (the file's modification time in the schedule's
/// time zone, .NET format, e.g. {date:yyyy/MM/dd}). A template ending in "/" appends {path}.
/// Dates come from the file, not the run, so a file seen by many runs maps to one target path
/// (and one job).
/// </summary>
public static class PathTemplate
{
    private static readonly string[] Names = ["path", "name", "stem", "ext", "date"];

    /// <summary>Null when the template is usable, else why not.</summary>
    public static string? Check(string template)
    {
        if (template.Length == 0)
        {
            return "is required (\"\" would name the endpoint's base directory)";
        }

        try
        {
            foreach (var (name, format) in Placeholders(template))
            {
                if (!Names.Contains(name))
                {
                    return $"has an unknown placeholder {{{name}}}; use {{path}}, {{name}}, {{stem}}, {{ext}} or {{date:FORMAT}}";
                }

                if (name == "date" && string.IsNullOrEmpty(format))
                {
                    return "needs a format in {date:FORMAT}, e.g. {date:yyyy/MM/dd}";
                }

                if (name == "date")
                {
                    _ = DateTimeOffset.UnixEpoch.ToString(format, CultureInfo.InvariantCulture);
                }
            }

            // A sample file must land inside the endpoint: ".." and absolute paths are refused.
            var sample = Render(template, "dir/sample.csv", DateTimeOffset.UnixEpoch, TimeZoneInfo.Utc);
            return sample.Length == 0 ? "renders to the endpoint's base directory; name a file" : null;
        }
        catch (FormatException ex)
        {
            return $"is not a valid template: {ex.Message}";
        }
        catch (Errors.FerryException ex)
        {
            return ex.Message;
        }
    }

    /// <summary>The normalised target path for <paramref name="relativePath"/> modified at <paramref name="modified"/>.</summary>
    public static string Render(string template, string relativePath, DateTimeOffset? modified, TimeZoneInfo zone)
    {
        if (template.EndsWith('/'))
        {
            template += "{path}";
        }

        var name = RemotePath.FileName(relativePath);
        var dot = name.LastIndexOf('.');
        var local = TimeZoneInfo.ConvertTime(modified ?? DateTimeOffset.UnixEpoch, zone);
        var sb = new StringBuilder();
        var i = 0;
        while (i < template.Length)
        {
            var open = template.IndexOf('{', i);
            if (open < 0)
            {
                sb.Append(template, i, template.Length - i);
                break;
            }

            var close = template.IndexOf('}', open);
            if (close < 0)
            {
                throw new FormatException("a '{' is never closed");
            }

            sb.Append(template, i, open - i);
            var (placeholder, format) = Split(template[(open + 1)..close]);
            sb.Append(placeholder switch
            {
                "path" => relativePath,
                "name" => name,
                "stem" => dot > 0 ? name[..dot] : name,
                "ext" => dot > 0 ? name[(dot + 1)..] : "",
                "date" => local.ToString(format, CultureInfo.InvariantCulture),
                _ => throw new FormatException($"unknown placeholder {{{placeholder}}}"),
            });
            i = close + 1;
        }

        return RemotePath.Normalize(sb.ToString());
    }

    private static IEnumerable<(string Name, string? Format)> Placeholders(string template)
    {
        var i = 0;
        while ((i = template.IndexOf('{', i)) >= 0)
        {
            var close = template.IndexOf('}', i);
            if (close < 0)
            {
                throw new FormatException("a '{' is never closed");
            }

            yield return Split(template[(i + 1)..close]);
            i = close + 1;
        }
    }

    private static (string Name, string? Format) Split(string inner)
    {
        var colon = inner.IndexOf(':');
        return colon < 0 ? (inner, null) : (inner[..colon], inner[(colon + 1)..]);
    }
}
