using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace Ferry.Cli.Remote;

/// <summary>
/// Every item of a paged list (jobs, endpoints), followed through its cursors: typed for tables,
/// and as the server sent each one, so <c>--json</c> prints the server's own fields whatever the
/// command models of them.
/// </summary>
internal sealed class Listing<T>
{
    private readonly List<string> _raw = [];

    public List<T> Items { get; } = [];

    /// <summary>A listing of items already at hand, each with the server's JSON for it.</summary>
    public static Listing<T> Of(IEnumerable<(T Item, string Json)> items)
    {
        var listing = new Listing<T>();
        foreach (var (item, json) in items)
        {
            listing.Items.Add(item);
            listing._raw.Add(json);
        }

        return listing;
    }

    /// <summary>The items of a page or answer as the server sent them (its <paramref name="name"/> array).</summary>
    public static List<string> RawItems(string json, string name)
    {
        using var document = JsonDocument.Parse(json);
        return [.. document.RootElement.GetProperty(name).EnumerateArray().Select(e => e.GetRawText())];
    }

    /// <summary>The server's form of the whole list: <c>{"name": [...], "next_cursor": null}</c>, as one page of it would be.</summary>
    public string Json(string name)
    {
        var text = new StringBuilder("{\"").Append(name).Append("\":[");
        text.AppendJoin(',', _raw);
        return text.Append("],\"next_cursor\":null}").ToString();
    }

    /// <param name="path">The list's path and query, without a cursor (e.g. <c>v1/jobs?batch_id=...</c>).</param>
    /// <param name="name">The property of each page that holds its items (<c>jobs</c>, <c>endpoints</c>).</param>
    public static async Task<Listing<T>> AllAsync<TPage>(FerryApi api, string path, string name, JsonTypeInfo<TPage> type, Func<TPage, IReadOnlyList<T>> items,
        Func<TPage, string?> next, CancellationToken cancellationToken)
    {
        var listing = new Listing<T>();
        string? cursor = null;
        do
        {
            var page = await api.GetAsync(path + (path.Contains('?', StringComparison.Ordinal) ? "&" : "?") + "limit=1000" +
                (cursor is null ? "" : "&cursor=" + RemoteCommand.Escape(cursor)), type, cancellationToken);
            listing.Items.AddRange(items(page.Value));
            listing._raw.AddRange(RawItems(page.Json, name));
            cursor = next(page.Value);
        }
        while (cursor is not null);
        return listing;
    }
}
