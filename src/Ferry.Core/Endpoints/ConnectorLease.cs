using Ferry.Core.Connectors;

namespace Ferry.Core.Endpoints;

/// <summary>
/// An endpoint's connector, held for as long as the holder uses it (a job, a listing, a stat).
/// Disposing it says the holder is done: a connector an endpoint change replaced is closed once
/// the last holder is done with it, so a long transfer is never cut off by a credential rotation,
/// and nothing stays open longer than it is used.
/// </summary>
public sealed class ConnectorLease(IConnector connector, Action? release = null) : IDisposable
{
    private int _released;

    public IConnector Connector { get; } = connector;

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _released, 1) == 0)
        {
            release?.Invoke();
        }
    }
}
