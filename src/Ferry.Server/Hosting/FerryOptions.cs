namespace Ferry.Server.Hosting;

/// <summary>
/// The "Ferry" configuration section: appsettings.json, then FERRY__&lt;Name&gt; environment
/// variables (e.g. FERRY__LISTEN=http://127.0.0.1:9000), then --Ferry:&lt;Name&gt;=value arguments.
/// </summary>
public sealed class FerryOptions
{
    /// <summary>Holds the SQLite database, the staging area and the generated keys.</summary>
    public string DataDirectory { get; set; } = "ferry-data";

    public string Listen { get; set; } = "http://127.0.0.1:8080";

    /// <summary>PEM certificate (with its chain) served when <see cref="Listen"/> is https; read at start.</summary>
    public string? TlsCertificateFile { get; set; }

    /// <summary>PEM private key of <see cref="TlsCertificateFile"/>, unencrypted (keep the file readable by Ferry's user only).</summary>
    public string? TlsKeyFile { get; set; }

    /// <summary>Bearer token for the admin API; generated into the data directory when not given.</summary>
    public string? AdminKey { get; set; }

    /// <summary>Base64 of 32 bytes sealing secrets at rest; generated into the data directory when not given.</summary>
    public string? SecretKey { get; set; }

    public string Region { get; set; } = "local";

    /// <summary>Jobs this process runs at once; 0 makes it an API-only node that leaves the jobs to other processes.</summary>
    public int Workers { get; set; } = 8;

    /// <summary>Jobs a customer may have not yet finished; beyond it new transfers get 429.</summary>
    public int MaxActiveJobsPerCustomer { get; set; } = 10_000;

    /// <summary>Files one transfer request may expand into.</summary>
    public int MaxFilesPerRequest { get; set; } = 10_000;

    /// <summary>
    /// Requests a second each customer API key may make, sustained (0: no limit); beyond it, 429
    /// with Retry-After. The admin key and event intake by trigger token are not limited.
    /// </summary>
    public int RateLimitPerSecond { get; set; } = 200;

    /// <summary>Requests a key may make at once after a quiet spell, above <see cref="RateLimitPerSecond"/>.</summary>
    public int RateLimitBurst { get; set; } = 400;

    /// <summary>Let endpoints point at loopback, private or link-local addresses (off: SSRF guard).</summary>
    public bool AllowPrivateNetworks { get; set; }

    public int LeaseSeconds { get; set; } = 30;

    public double PollSeconds { get; set; } = 1;

    public int ShutdownGraceSeconds { get; set; } = 10;

    /// <summary>
    /// How long a staged copy a failed SFTP-to-SFTP job left behind is kept for a re-drive (copies
    /// of delivered files are deleted at once); older ones are swept hourly.
    /// </summary>
    public int StagingRetentionDays { get; set; } = 7;

    /// <summary>
    /// Days a finished job is kept with its history; older ones are removed hourly, each leaving a
    /// small record that keeps its file from being transferred again and answers 410 for its id.
    /// 0 keeps every job.
    /// </summary>
    public int JobRetentionDays { get; set; } = 90;

    /// <summary>
    /// Days (from its finish) the small record a pruned job leaves is kept; 0 (the default) keeps
    /// them all. Past it the job's file counts as never transferred: one still at its source,
    /// unchanged, is sent again when a schedule next sees it or a request names it. Must exceed
    /// <see cref="JobRetentionDays"/>.
    /// </summary>
    public int PrunedJobRetentionDays { get; set; }

    /// <summary>Days audit entries are kept; 0 (the default) keeps them all. Set it from your audit policy.</summary>
    public int AuditRetentionDays { get; set; }

    /// <summary>
    /// The first wait before a failed job's leftovers at an unreachable target (a part file, a kept
    /// multipart upload) are tried again; it doubles with each try, up to an hour, for 7 days.
    /// </summary>
    public int LeftoverRetrySeconds { get; set; } = 60;

    /// <summary>
    /// An OpenTelemetry collector's OTLP/HTTP address (like http://127.0.0.1:4318): when set, spans
    /// of API requests and job attempts are sent to its /v1/traces. Unset: no tracing at all.
    /// </summary>
    public string? OtlpEndpoint { get; set; }

    /// <summary>Where traces go: <see cref="OtlpEndpoint"/> with the OTLP/HTTP traces path; null when tracing is off.</summary>
    public Uri? OtlpTracesUri
    {
        get
        {
            if (OtlpEndpoint is not { Length: > 0 } e || !Uri.TryCreate(e, UriKind.Absolute, out var u))
            {
                return null;
            }

            var path = u.AbsolutePath.TrimEnd('/');
            return new UriBuilder(u) { Path = path.EndsWith("/v1/traces", StringComparison.Ordinal) ? path : path + "/v1/traces" }.Uri;
        }
    }

    /// <summary>Every problem with the configuration, each naming its setting; empty when it is usable.</summary>
    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (string.IsNullOrWhiteSpace(DataDirectory))
        {
            problems.Add("Ferry:DataDirectory (FERRY__DATADIRECTORY) must name a directory");
        }

        if (!Uri.TryCreate(Listen, UriKind.Absolute, out var listen) || listen.Scheme is not ("http" or "https") || listen.Port <= 0)
        {
            problems.Add($"Ferry:Listen (FERRY__LISTEN) must be an http or https URL with a port, like http://127.0.0.1:8080, not '{Listen}'");
        }

        CheckTls(problems, listen);
        if (AdminKey is { Length: < 24 })
        {
            problems.Add("Ferry:AdminKey (FERRY__ADMINKEY) must be at least 24 characters; leave it unset to have one generated");
        }

        if (string.IsNullOrWhiteSpace(Region) || Region.Length > 64)
        {
            problems.Add("Ferry:Region (FERRY__REGION) must be 1-64 characters");
        }

        Check(problems, Workers, 0, 256, "Workers");
        Check(problems, MaxActiveJobsPerCustomer, 1, 10_000_000, "MaxActiveJobsPerCustomer");
        Check(problems, MaxFilesPerRequest, 1, 100_000, "MaxFilesPerRequest");
        Check(problems, RateLimitPerSecond, 0, 1_000_000, "RateLimitPerSecond");
        Check(problems, RateLimitBurst, 1, 1_000_000, "RateLimitBurst");
        Check(problems, LeaseSeconds, 5, 3600, "LeaseSeconds");
        Check(problems, ShutdownGraceSeconds, 0, 3600, "ShutdownGraceSeconds");
        Check(problems, StagingRetentionDays, 1, 365, "StagingRetentionDays");
        Check(problems, LeftoverRetrySeconds, 1, 3600, "LeftoverRetrySeconds");
        Check(problems, JobRetentionDays, 0, 36_500, "JobRetentionDays");
        Check(problems, AuditRetentionDays, 0, 36_500, "AuditRetentionDays");
        Check(problems, PrunedJobRetentionDays, 0, 36_500, "PrunedJobRetentionDays");
        if (PrunedJobRetentionDays > 0 && (JobRetentionDays == 0 || PrunedJobRetentionDays <= JobRetentionDays))
        {
            problems.Add(JobRetentionDays == 0
                ? "Ferry:PrunedJobRetentionDays (FERRY__PRUNEDJOBRETENTIONDAYS) is set but Ferry:JobRetentionDays is 0: no job is pruned, so there are no records to forget"
                : $"Ferry:PrunedJobRetentionDays (FERRY__PRUNEDJOBRETENTIONDAYS) must be more than Ferry:JobRetentionDays ({JobRetentionDays}): a pruned job's record outlives the job");
        }

        if (OtlpEndpoint is { Length: > 0 } otlp
            && (!Uri.TryCreate(otlp, UriKind.Absolute, out var collector) || collector.Scheme is not ("http" or "https") || !string.IsNullOrEmpty(collector.UserInfo)))
        {
            // The value is not echoed: it may hold credentials.
            problems.Add("Ferry:OtlpEndpoint (FERRY__OTLPENDPOINT) must be an http or https URL of an OTLP/HTTP collector without credentials, like http://127.0.0.1:4318");
        }

        if (PollSeconds is < 0.05 or > 60)
        {
            problems.Add($"Ferry:PollSeconds (FERRY__POLLSECONDS) must be between 0.05 and 60, not {PollSeconds}");
        }

        return problems;
    }

    /// <summary>https needs both files; files without https would be ignored, which is never what was meant.</summary>
    private void CheckTls(List<string> problems, Uri? listen)
    {
        var https = listen?.Scheme == "https";
        var files = new[] { (TlsCertificateFile, "TlsCertificateFile"), (TlsKeyFile, "TlsKeyFile") };
        if (https && files.Any(f => string.IsNullOrWhiteSpace(f.Item1)))
        {
            problems.Add("Ferry:Listen is https, so Ferry:TlsCertificateFile (FERRY__TLSCERTIFICATEFILE) and Ferry:TlsKeyFile (FERRY__TLSKEYFILE) must name the PEM certificate and its key");
        }
        else if (!https && files.Any(f => !string.IsNullOrWhiteSpace(f.Item1)))
        {
            problems.Add("Ferry:TlsCertificateFile and Ferry:TlsKeyFile are set but Ferry:Listen is not https: make it https://host:port, or unset them");
        }
        else if (https)
        {
            foreach (var (file, name) in files)
            {
                if (!File.Exists(file))
                {
                    problems.Add($"Ferry:{name} (FERRY__{name.ToUpperInvariant()}) names {file}, which does not exist");
                }
            }
        }
    }

    private static void Check(List<string> problems, int value, int min, int max, string name)
    {
        if (value < min || value > max)
        {
            problems.Add($"Ferry:{name} (FERRY__{name.ToUpperInvariant()}) must be between {min} and {max}, not {value}");
        }
    }
}
