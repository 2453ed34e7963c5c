using System.Runtime.CompilerServices;
using Renci.SshNet;
using Renci.SshNet.Common;
using Renci.SshNet.Sftp;

namespace Ferry.Connectors.Sftp;

/// <summary>
/// A stat in one SFTP request instead of SSH.NET's two.
/// </summary>
/// <remarks>
/// SSH.NET resolves every path with a realpath request before it acts on it, so its
/// <c>Get</c>/<c>GetAttributes</c> are two round trips (realpath, then lstat of the resolved path).
/// SSH_FXP_STAT gives the same answer in one: it follows symbolic links as the realpath did, and a
/// missing path is "no such file" either way. Ferry confines and normalises paths itself, so it
/// has no use for the realpath. SSH.NET has no public way to send a bare stat; this calls its
/// internal <c>SftpSession.RequestStat</c> through <see cref="UnsafeAccessorAttribute"/>.
/// Measured on the 2-core machine (`bench/run api-create`, one stat per request): see the README.
/// If another SSH.NET version moved those internals, the first call finds out, says so once on
/// stderr and every stat goes back to the public two-request <c>Get</c>; the connector tests
/// assert the one-request path is the one in use, so an upgrade that loses it fails there.
/// </remarks>
internal static class SftpDirectStat
{
    private const string SessionTypeName = "Renci.SshNet.Sftp.SftpSession, Renci.SshNet";

    // The accessor calls SftpSession's method on whatever object it is given, unchecked: only an
    // object of exactly this type may be passed to it.
    private static readonly Type? SessionType = Type.GetType(SessionTypeName, throwOnError: false);
    private static volatile bool _unavailable = SessionType is null;

    /// <summary>True while the one-request stat works with the SSH.NET in use.</summary>
    public static bool Available => !_unavailable;

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
            catch (Exception ex) when (ex is MissingMemberException or TypeLoadException or NotSupportedException)
            {
                _unavailable = true;
                Console.Error.WriteLine($"ferry: SSH.NET's internal SftpSession.RequestStat is not usable ({ex.GetType().Name}: {ex.Message}); SFTP stats fall back to two requests each.");
            }
        }

        return client.GetAttributes(path);
    }

    // Not inlined, so a missing member surfaces as an exception from this call, not from the JIT
    // compiling the caller.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static SftpFileAttributes StatDirect(SftpClient client, string path)
    {
        var session = SessionOf(client) ?? throw new SshConnectionException("Client not connected.");
        if (session.GetType() != SessionType)
        {
            throw new NotSupportedException($"the session is a {session.GetType().FullName}");
        }

        return RequestStat(session, path);
    }

    [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "get_SftpSession")]
    [return: UnsafeAccessorType("Renci.SshNet.Sftp.ISftpSession, Renci.SshNet")]
    private static extern object? SessionOf(SftpClient client);

    [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "RequestStat")]
    private static extern SftpFileAttributes RequestStat([UnsafeAccessorType(SessionTypeName)] object session, string path);
}
