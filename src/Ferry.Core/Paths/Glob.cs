using System.Text;
using System.Text.RegularExpressions;

namespace Ferry.Core.Paths;

/// <summary>
/// Globs on '/'-separated relative paths: '*' and '?' stay inside one directory level, '**' crosses
/// levels ("**/" matches zero or more directories).
/// </summary>
public static class Glob
{
    public static bool IsGlob(string path) => path.IndexOfAny(['*', '?']) >= 0;

    public static Regex ToRegex(string glob)
    {
        var sb = new StringBuilder("^");
        for (var i = 0; i < glob.Length; i++)
        {
            var c = glob[i];
            switch (c)
            {
                case '*' when i + 1 < glob.Length && glob[i + 1] == '*':
                    // "**/" matches zero or more directories; a trailing "**" anything below.
                    var slash = i + 2 < glob.Length && glob[i + 2] == '/';
                    sb.Append(slash ? "(?:.*/)?" : ".*");
                    i += slash ? 2 : 1;
                    break;
                case '*':
                    sb.Append("[^/]*");
                    break;
                case '?':
                    sb.Append("[^/]");
                    break;
                default:
                    sb.Append(Regex.Escape(c.ToString()));
                    break;
            }
        }

        return new Regex(sb.Append('$').ToString(), RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
    }
}
