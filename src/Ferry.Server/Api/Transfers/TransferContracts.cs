namespace Ferry.Server.Api.Transfers;

internal sealed record TransferCreate(LocationInput? Source, LocationInput? Target, PolicyInput? Policy);

/// <summary>
/// An endpoint and a path relative to its base. A source path may name a file, a directory or
/// prefix (ending in '/'), or a glob ('*', '?', '**'); a target path ending in '/' is a directory.
/// </summary>
internal sealed record LocationInput(string? EndpointId, string? Path);

internal sealed record PolicyInput(string? Overwrite, string? Verify, RetryInput? Retry);

internal sealed record RetryInput(int? MaxAttempts, double? InitialBackoffSeconds, double? MaxBackoffSeconds);
