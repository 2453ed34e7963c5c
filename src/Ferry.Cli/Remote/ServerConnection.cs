using System.CommandLine;

namespace Ferry.Cli.Remote;

/// <summary>
/// Where the Ferry server is and the API key to call it with. The key comes from the
/// environment (<c>FERRY_API_KEY</c>) or a file (<c>--api-key-file</c>, <c>FERRY_API_KEY_FILE</c>),
/// never from an argument: a command line is visible to every user of the machine (ps, /proc).
/// </summary>
internal sealed record ServerConnection(Uri BaseAddress, string ApiKey)
{
    public const string DefaultServer = "http://127.0.0.1:8080";

    public static readonly Option<string?> Server = new("--server")
    {
        Description = $"The Ferry server's URL (default: FERRY_SERVER, else {DefaultServer})",
        Recursive = true,
    };

    public static readonly Option<string?> ApiKeyFile = new("--api-key-file")
    {
        Description = "A file holding the API key (default: FERRY_API_KEY, else the file FERRY_API_KEY_FILE names)",
        Recursive = true,
    };

    /// <summary>The connection the options and environment describe; a <see cref="RemoteException"/> (usage) says what is missing.</summary>
    public static ServerConnection From(ParseResult parse)
    {
        var server = parse.GetValue(Server) ?? (Environment.GetEnvironmentVariable("FERRY_SERVER") is { Length: > 0 } s ? s : DefaultServer);
        if (!Uri.TryCreate(server, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https") || !string.IsNullOrEmpty(uri.Query))
        {
            throw RemoteException.Usage($"--server: '{server}' is not an http:// or https:// URL");
        }

        return new ServerConnection(new Uri(uri.AbsoluteUri.TrimEnd('/') + "/"), ReadKey(parse.GetValue(ApiKeyFile)));
    }

    private static string ReadKey(string? file)
    {
        file ??= Environment.GetEnvironmentVariable("FERRY_API_KEY_FILE") is { Length: > 0 } f ? f : null;
        string key;
        if (file is not null)
        {
            try
            {
                key = File.ReadAllText(file).Trim();
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw RemoteException.Usage($"cannot read the API key file {file}: {e.Message}");
            }

            if (key.Length == 0)
            {
                throw RemoteException.Usage($"the API key file {file} is empty");
            }
        }
        else
        {
            key = Environment.GetEnvironmentVariable("FERRY_API_KEY")?.Trim() ?? "";
            if (key.Length == 0)
            {
                throw RemoteException.Usage("no API key: set FERRY_API_KEY, or name a file holding it with --api-key-file or FERRY_API_KEY_FILE");
            }
        }

        // A header cannot carry a line break: a key file with two lines is a mistake, not a key.
        return key.Any(char.IsControl) || key.Contains(' ', StringComparison.Ordinal)
            ? throw RemoteException.Usage("the API key holds spaces or control characters; it should be one line as the server showed it")
            : key;
    }
}
