using System.Text;

namespace Ferry.Cli.Output;

/// <summary>
/// Columns padded with spaces under an upper-case header, like `ps` or `kubectl get`: the same
/// on a terminal and in a pipe, so `grep` and `awk` work on it (scripts that want every field
/// use `--json`). The last column is not padded.
/// </summary>
internal sealed class PlainTable(params string[] headers)
{
    private readonly List<string[]> _rows = [];

    public int Count => _rows.Count;

    public void Add(params string?[] cells) => _rows.Add([.. cells.Select(c => Clean(c ?? "-"))]);

    public override string ToString()
    {
        var widths = headers.Select((h, i) => _rows.Select(r => r[i].Length).Append(h.Length).Max()).ToArray();
        var text = new StringBuilder();
        foreach (var row in _rows.Prepend(headers))
        {
            for (var i = 0; i < row.Length; i++)
            {
                text.Append(i == row.Length - 1 ? row[i] : row[i].PadRight(widths[i] + 2));
            }

            text.Append('\n');
        }

        return text.ToString();
    }

    // A cell is one line: an error message with a line break would split its row.
    private static string Clean(string cell) => cell.ReplaceLineEndings(" ").Replace('\t', ' ');
}
