using System.Runtime.CompilerServices;
using Renci.SshNet;
using Renci.SshNet.Common;

namespace Ferry.Connectors.Sftp;

/// <summary>
/// SSH.NET's internal SFTP session, for what its public API cannot do: a stat in one request
/// (<see cref="SftpDirectStat"/>) and pipelined writes from an offset (<see cref="SftpOffsetWriter"/>).
/// The methods are reached through <see cref="UnsafeAccessorAttribute"/>, which calls them on
/// whatever object it is given, unchecked: <see cref="Session"/> hands out only an object of
/// exactly SSH.NET's session type. If an SSH.NET upgrade moves these internals, the accessors
/// throw <see cref="MissingMemberException"/> (or the type check fails) and callers fall back or
/// say so; the connector tests exercise both paths, so an upgrade that breaks them fails there.
/// </summary>
internal static class SftpSessionAccess
{
    public const string SessionTypeName = "Renci.SshNet.Sftp.SftpSession, Renci.SshNet";

    private static readonly Type? SessionType = Type.GetType(SessionTypeName, throwOnError: false);

    /// <summary>Null while SSH.NET's session type is where Ferry expects it.</summary>
    public static string? Missing { get; } = SessionType is null ? $"no type {SessionTypeName}" : null;

    /// <summary>The connected client's session, checked to be exactly SSH.NET's <c>SftpSession</c>.</summary>
    /// <exception cref="SshConnectionException">The client is not connected.</exception>
    /// <exception cref="NotSupportedException">This SSH.NET's session is not the type the accessors were written for.</exception>
    // Not inlined, so a missing member surfaces as an exception from this call, not from the JIT compiling the caller.
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static object Session(SftpClient client)
    {
        if (SessionType is null)
        {
            throw new NotSupportedException(Missing);
        }

        var session = SessionOf(client) ?? throw new SshConnectionException("Client not connected.");
        if (session.GetType() != SessionType)
        {
            throw new NotSupportedException($"the session is a {session.GetType().FullName}");
        }

        return session;
    }

    /// <summary>What the runtime throws for an accessor it cannot bind, or <see cref="Session"/> for an unexpected type.</summary>
    public static bool IsUnbound(Exception ex) => ex is MissingMemberException or TypeLoadException or NotSupportedException;

    [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "get_SftpSession")]
    [return: UnsafeAccessorType("Renci.SshNet.Sftp.ISftpSession, Renci.SshNet")]
    private static extern object? SessionOf(SftpClient client);
}
