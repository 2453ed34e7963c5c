namespace Ferry.Connectors.Sftp;

/// <summary>How to reach and authenticate to one SFTP server, and the directory Ferry is confined to.</summary>
public sealed record SftpEndpointOptions
{
    public required string Host { get; init; }

    public int Port { get; init; } = 22;

    public required string Username { get; init; }

    /// <summary>
    /// Directory every path is relative to and confined under. Absolute ("/data/in") or relative
    /// to the login directory ("" or "."). Paths cannot leave it with "..".
    /// </summary>
    public string BasePath { get; init; } = "";

    /// <summary>
    /// The server's host key as OpenSSH prints it ("SHA256:base64"). Required: a connection to a
    /// server presenting another key fails with HOST_KEY_MISMATCH and is never retried; without
    /// one the connection fails with HOST_KEY_NOT_TRUSTED naming the key the server presented.
    /// </summary>
    public string? HostKeySha256 { get; init; }

    /// <summary>
    /// Host keys (SHA256:...) trusted when <see cref="HostKeySha256"/> is not given: what
    /// <see cref="KnownHostKeysSource"/> (an OpenSSH known_hosts file) lists for this host. A server
    /// presenting none of them fails with HOST_KEY_MISMATCH, as with a pinned key.
    /// </summary>
    public IReadOnlyList<string> KnownHostKeys { get; init; } = [];

    /// <summary>Where <see cref="KnownHostKeys"/> came from, for the error a mismatch gives.</summary>
    public string? KnownHostKeysSource { get; init; }

    public string? Password { get; init; }

    /// <summary>An OpenSSH or PEM private key (the key text, not a path).</summary>
    public string? PrivateKey { get; init; }

    public string? PrivateKeyPassphrase { get; init; }

    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(20);

    /// <summary>How long one SFTP request may take before the connection is considered dead.</summary>
    public TimeSpan OperationTimeout { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>Connections kept open to this server (and the most used at once).</summary>
    public int MaxConnections { get; init; } = 4;

    /// <summary>SSH.NET's buffer size: the most bytes per SFTP write request (the server's packet size limits it further).</summary>
    public int BufferSize { get; init; } = 256 * 1024;

    /// <summary>
    /// Bytes asked for per SFTP read. OpenSSH's sftp-server answers at most 256 KiB less 1 KiB
    /// (its SFTP_MAX_READ_LENGTH); a server that answers less is followed: the length it answered
    /// (at least 32 KiB) is asked for from then on in that file. With 16 reads in flight that keeps
    /// 4 MiB moving; SSH.NET's 64 KiB reads would keep 1 MiB, which caps a download from a server
    /// 50 ms away at about 20 MB/s.
    /// </summary>
    public int ReadLength { get; init; } = 255 * 1024;

    /// <summary>Offer aes128-gcm first where the server has it (measured 15-25 % faster than aes128-ctr).</summary>
    public bool PreferAesGcm { get; init; } = true;

    /// <summary>An idle pooled connection older than this is checked with a round trip before reuse.</summary>
    public TimeSpan IdleCheckAfter { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How long that round trip may take. A live server answers a stat in milliseconds; a
    /// connection a firewall or NAT dropped silently never answers, and without this limit the
    /// job would wait the whole <see cref="OperationTimeout"/> before connecting afresh.
    /// </summary>
    public TimeSpan IdleCheckTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Idle pooled connections are closed after this long: a partner's server is not held open between bursts of jobs.</summary>
    public TimeSpan MaxIdle { get; init; } = TimeSpan.FromMinutes(5);
}
