namespace Ferry.Core.Tenancy;

/// <summary>A tenant. Every endpoint, job and API key belongs to exactly one.</summary>
public sealed record Customer(string CustomerId, string Name, DateTimeOffset CreatedAt);
