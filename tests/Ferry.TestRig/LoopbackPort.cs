using System.Net;
using System.Net.Sockets;

namespace Ferry.TestRig;

/// <summary>Ports on 127.0.0.1 for servers the tests start (or for a connection that must be refused).</summary>
public static class LoopbackPort
{
    /// <summary>A port nothing listens on right now; whoever binds it next may race, as with any such port.</summary>
    public static int Free()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }
}
