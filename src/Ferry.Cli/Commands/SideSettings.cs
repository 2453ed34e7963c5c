namespace Ferry.Cli.Commands;

/// <summary>Connection settings for one side of a copy (source or target), after option fallbacks.</summary>
internal sealed record SideSettings
{
    public string? KeyFile { get; init; }
    public string? HostKey { get; init; }
    public string? Password { get; init; }
    public string? EndpointUrl { get; init; }
    public string? Region { get; init; }
    public bool? PathStyle { get; init; }
    public string? Sse { get; init; }
    public string? KmsKeyId { get; init; }
    public int? PartSizeMiB { get; init; }
    public int? PartsInFlight { get; init; }

    /// <summary>SSH connections kept to an SFTP server: one per file copied at once, and one for the stats between.</summary>
    public int SftpConnections { get; init; } = 2;
}
