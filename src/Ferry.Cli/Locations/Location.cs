namespace Ferry.Cli.Locations;

/// <summary>A place named on the command line.</summary>
internal abstract record Location
{
    /// <summary>The path as the connector sees it (relative to the connector's base).</summary>
    public abstract string Path { get; }

    /// <summary>True when the user wrote a trailing '/', meaning "into this directory".</summary>
    public bool IsDirectoryHint { get; init; }

    public abstract Location WithPath(string path);
}

/// <summary>sftp://user@host:port/path, or sftp://user@host/~/path for a path under the login directory.</summary>
internal sealed record SftpLocation(string User, string Host, int Port, bool FromHome, string RelativePath) : Location
{
    public override string Path => RelativePath;

    public override Location WithPath(string path) => this with { RelativePath = path };

    public override string ToString() => $"sftp://{User}@{Host}:{Port}/{(FromHome ? "~/" : "")}{RelativePath}";
}

/// <summary>s3://bucket/key.</summary>
internal sealed record S3Location(string Bucket, string Key) : Location
{
    public override string Path => Key;

    public override Location WithPath(string path) => this with { Key = path };

    public override string ToString() => $"s3://{Bucket}/{Key}";
}

/// <summary>A file on this machine.</summary>
internal sealed record LocalLocation(string FullPath) : Location
{
    public override string Path => FullPath.TrimStart('/');

    public override Location WithPath(string path) => this with { FullPath = "/" + path };

    public override string ToString() => FullPath;
}
