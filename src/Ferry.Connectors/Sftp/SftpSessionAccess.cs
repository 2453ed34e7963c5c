using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;
using System.Text;
using Renci.SshNet;
using Renci.SshNet.Common;

namespace Ferry.Connectors.Sftp;

/// <summary>
/// SSH.NET's internal SFTP session, for what its public API cannot do: requests answered through
/// a callback (<see cref="SftpAnswer{T}"/>) - a stat in one request (<see cref="SftpDirectStat"/>),
/// reads (<see cref="SftpCallbackReadStream"/>) and writes (<see cref="SftpCallbackWriter"/>) of up to 255 KiB.
/// The methods are reached through <see cref="UnsafeAccessorAttribute"/>, which calls them on
/// whatever object it is given, unchecked: <see cref="Session"/> hands out only an object of
/// exactly SSH.NET's session type. If an SSH.NET upgrade moves these internals, the accessors
/// throw <see cref="MissingMemberException"/> (or the type check fails) and callers fall back or
/// say so; the connector tests exercise both paths, so an upgrade that breaks them fails there.
/// </summary>
internal static class SftpSessionAccess
{
    public const string SessionTypeName = "Renci.SshNet.Sftp.SftpSession, Renci.SshNet";
    public const string RequestTypeName = "Renci.SshNet.Sftp.Requests.SftpRequest, Renci.SshNet";
    private const string SubsystemTypeName = "Renci.SshNet.SubsystemSession, Renci.SshNet";

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

    /// <summary>
    /// What SSH.NET's own blocking wait would throw now for a request on this session: the error
    /// the session raised, or the connection or the SFTP channel closed; null while it is usable.
    /// Reads the same three signals SSH.NET's <c>WaitOnHandle</c> waits on, without waiting.
    /// </summary>
    public static Exception? Failure(object session)
    {
        var error = ErrorOccurred(session);
        var disconnected = SessionDisconnected(session);
        var channelClosed = ChannelClosed(session);
        if (error is null || disconnected is null || channelClosed is null)
        {
            return new SshConnectionException("Client not connected."); // the session was disposed
        }

        try
        {
            return error.WaitOne(0) ? ExceptionOf(session) ?? new SshException("The SFTP session failed.")
                : disconnected.WaitOne(0) ? new SshException("Connection was closed by the server.")
                : channelClosed.WaitOne(0) ? new SshException("Channel was closed.")
                : null;
        }
        catch (ObjectDisposedException)
        {
            return new SshConnectionException("Client not connected."); // disposed while we looked
        }
    }

    /// <summary>Throws what <see cref="Failure"/> reports, if anything.</summary>
    public static void ThrowIfFailed(object session)
    {
        if (Failure(session) is { } failure)
        {
            ExceptionDispatchInfo.Throw(failure);
        }
    }

    /// <summary>SSH.NET's <c>SftpSession.SendRequest</c>: registers the request for its answer, then sends it.</summary>
    [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "SendRequest")]
    public static extern void SendRequest([UnsafeAccessorType(SessionTypeName)] object session, [UnsafeAccessorType(RequestTypeName)] object request);

    [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "get_ProtocolVersion")]
    public static extern uint ProtocolVersion([UnsafeAccessorType(SessionTypeName)] object session);

    [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "get_NextRequestId")]
    public static extern uint NextRequestId([UnsafeAccessorType(SessionTypeName)] object session);

    /// <summary>The encoding the session writes paths in.</summary>
    [UnsafeAccessor(UnsafeAccessorKind.Field, Name = "_encoding")]
    public static extern ref Encoding Encoding([UnsafeAccessorType(SessionTypeName)] object session);

    /// <summary>The extensions the server named in its version answer (name to data), e.g. limits@openssh.com.</summary>
    [UnsafeAccessor(UnsafeAccessorKind.Field, Name = "_supportedExtensions")]
    public static extern ref IDictionary<string, string>? Extensions([UnsafeAccessorType(SessionTypeName)] object session);

    /// <summary>SSH.NET's write length for <c>UploadFile</c>: the buffer size, capped by the channel's packet size less a write's header.</summary>
    [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "CalculateOptimalWriteLength")]
    public static extern uint OptimalWriteLength([UnsafeAccessorType(SessionTypeName)] object session, uint bufferSize, byte[] handle);

    [UnsafeAccessor(UnsafeAccessorKind.Field, Name = "_errorOccurredWaitHandle")]
    private static extern ref EventWaitHandle? ErrorOccurred([UnsafeAccessorType(SubsystemTypeName)] object session);

    [UnsafeAccessor(UnsafeAccessorKind.Field, Name = "_sessionDisconnectedWaitHandle")]
    private static extern ref EventWaitHandle? SessionDisconnected([UnsafeAccessorType(SubsystemTypeName)] object session);

    [UnsafeAccessor(UnsafeAccessorKind.Field, Name = "_channelClosedWaitHandle")]
    private static extern ref EventWaitHandle? ChannelClosed([UnsafeAccessorType(SubsystemTypeName)] object session);

    [UnsafeAccessor(UnsafeAccessorKind.Field, Name = "_exception")]
    private static extern ref Exception? ExceptionOf([UnsafeAccessorType(SubsystemTypeName)] object session);

    /// <summary>The bytes the SFTP channel's window lets Ferry send now; null if SSH.NET's internals no longer show it.</summary>
    public static uint? ChannelWindow(object session)
    {
        try
        {
            return ChannelOf(session) is { } channel ? RemoteWindowSize(channel) : null;
        }
        catch (Exception ex) when (IsUnbound(ex) || ex is InvalidOperationException)
        {
            return null; // InvalidOperationException: the channel's open is not confirmed
        }
    }

    // A property, not the _channel field: a field of a type named by UnsafeAccessorType cannot be reached (NotSupportedException).
    [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "get_Channel")]
    [return: UnsafeAccessorType("Renci.SshNet.Channels.IChannelSession, Renci.SshNet")]
    private static extern object? ChannelOf([UnsafeAccessorType(SubsystemTypeName)] object session);

    [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "get_RemoteWindowSize")]
    private static extern uint RemoteWindowSize([UnsafeAccessorType("Renci.SshNet.Channels.Channel, Renci.SshNet")] object channel);

    /// <summary>What the runtime throws for an accessor it cannot bind, or <see cref="Session"/> for an unexpected type.</summary>
    public static bool IsUnbound(Exception ex) => ex is MissingMemberException or TypeLoadException or NotSupportedException;

    [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "get_SftpSession")]
    [return: UnsafeAccessorType("Renci.SshNet.Sftp.ISftpSession, Renci.SshNet")]
    private static extern object? SessionOf(SftpClient client);
}
