namespace Ferry.Core.Tenancy;

/// <summary>
/// What an API key may do within its customer, each scope including the ones below it: least
/// privilege for the tools that hold keys (a dashboard reads; a partner's scheduler submits
/// transfers; only the team's own automation changes endpoints, credentials, rules and webhooks).
/// </summary>
public enum ApiKeyScope
{
    /// <summary>Read everything the customer owns (jobs, endpoints, schedules, triggers, audit); change nothing.</summary>
    Read = 0,

    /// <summary>Read, and set transfers going: submit transfers and S3 events, cancel and re-drive jobs, run a schedule or reconcile a trigger now.</summary>
    Transfer = 1,

    /// <summary>Everything a customer can do, including endpoints and their credentials, schedules, triggers and webhooks.</summary>
    Full = 2,
}

public static class ApiKeyScopes
{
    public static string Name(this ApiKeyScope scope) => scope switch
    {
        ApiKeyScope.Read => "read",
        ApiKeyScope.Transfer => "transfer",
        _ => "full",
    };

    /// <summary>The scope a name stands for (as the API and the store spell it); null for any other text.</summary>
    public static ApiKeyScope? Parse(string? name) => name switch
    {
        "read" => ApiKeyScope.Read,
        "transfer" => ApiKeyScope.Transfer,
        "full" => ApiKeyScope.Full,
        _ => null,
    };

    public static bool Allows(this ApiKeyScope held, ApiKeyScope needed) => held >= needed;
}
