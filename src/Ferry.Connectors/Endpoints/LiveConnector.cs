using Ferry.Core.Connectors;

namespace Ferry.Connectors.Endpoints;

/// <summary>
/// One endpoint version's connector and how many hold it. Retired when the endpoint changes or
/// goes: it is handed out no more, and closed as soon as nobody holds it (at once if nobody does).
/// </summary>
internal sealed class LiveConnector(long version, IConnector connector)
{
    private readonly Lock _gate = new();
    private int _holders;
    private bool _retired;

    public long Version { get; } = version;

    public IConnector Connector { get; } = connector;

    /// <summary>Takes a hold; false once retired (the caller asks for the current connector instead).</summary>
    public bool TryAcquire()
    {
        lock (_gate)
        {
            if (_retired)
            {
                return false;
            }

            _holders++;
            return true;
        }
    }

    public void Release()
    {
        lock (_gate)
        {
            if (--_holders > 0 || !_retired)
            {
                return;
            }
        }

        Close();
    }

    public void Retire()
    {
        lock (_gate)
        {
            if (_retired)
            {
                return;
            }

            _retired = true;
            if (_holders > 0)
            {
                return;
            }
        }

        Close();
    }

    private void Close() =>
        // Off the caller's thread: closing SSH connections says goodbye to the server first.
        _ = Task.Run(async () =>
        {
            try
            {
                await Connector.DisposeAsync().ConfigureAwait(false);
            }
            catch (Exception)
            {
                // Closing is best effort: the connections are abandoned either way.
            }
        });
}
