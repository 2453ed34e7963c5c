using System.Runtime.CompilerServices;
using Renci.SshNet;
using Renci.SshNet.Common;
using Renci.SshNet.Sftp;

namespace Ferry.Connectors.Sftp;

/// <summary>
/// A stat in one SFTP request instead of SSH.NET's two.
/// </summary>
/// <remarks>
/// SSH.NET's stat calls (<c>Get</c>, <c>GetAttributes</c>, <c>Exists</c>) resolve the path with a
/// realpath request first, so each is two round trips (realpath, then lstat of the resolved path).
/// SSH_FXP_STAT gives the same answer in one: it follows symbolic links as the realpath did, and a
/// missing path is "no such file" either way (a dangling link too, which suits Ferry: it is not a
/// file to transfer). Ferry confines and normalises paths itself, so it has no use for the
/// realpath. SSH.NET has no public way to send a bare stat; this calls its internal
/// <c>SftpSession.RequestStat</c> (<see cref="SftpSessionAccess"/>).
/// Measured on the 2-core machine (`bench/run api-create`, one stat per request): see the README.
/// If another SSH.NET version moved those internals, the first call finds out and every stat goes
/// back to the public two-request <c>GetAttributes</c>: slower, never wrong. The connector tests
/// assert the one-request path is the one in use (and print <see cref="FallbackReason"/>), so an
/// upgrade that loses it fails there rather than in production.
/// </remarks>
internal static class SftpDirectStat
{
    private static volatile bool _unavailable = SftpSessionAccess.Missing is not null;

    /// <summary>True while the one-request stat works with the SSH.NET in use.</summary>
    public static bool Available => !_unavailable;

    /// <summary>Why the one-request stat was given up, once it was.</summary>
    public static string? FallbackReason { get; private set; } = SftpSessionAccess.Missing;

    /// <summary>
    /// <see cref="Stat"/> on an SFTP call thread (<see cref="SftpBlockingCalls"/>): how the connector
    /// and the pool ask; cancelling abandons the call, so the caller drops the connection.
    /// </summary>
    public static Task<SftpFileAttributes> StatAsync(SftpClient client, string path, CancellationToken cancellationToken) =>
        SftpBlockingCalls.Run(() => Stat(client, path), cancellationToken);

    /// <summary>Attributes of <paramref name="path"/>, following symbolic links; blocking.</summary>
    /// <exception cref="SftpPathNotFoundException">Nothing at <paramref name="path"/>.</exception>
    public static SftpFileAttributes Stat(SftpClient client, string path)
    {
        if (!_unavailable)
        {
            try
            {
                return StatDirect(client, path);
            }
            // SSH.NET's RequestStat itself throws only SSH and SFTP exceptions.
            catch (Exception ex) when (SftpSessionAccess.IsUnbound(ex))
            {
                FallbackReason = $"{ex.GetType().Name}: {ex.Message}";
                _unavailable = true;
            }
        }

        return client.GetAttributes(path);
    }

    // Not inlined, so a missing member surfaces as an exception from this call, not from the JIT
    // compiling the caller.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static SftpFileAttributes StatDirect(SftpClient client, string path) => RequestStat(SftpSessionAccess.Session(client), path);

    [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "RequestStat")]
    private static extern SftpFileAttributes RequestStat([UnsafeAccessorType(SftpSessionAccess.SessionTypeName)] object session, string path);
}
