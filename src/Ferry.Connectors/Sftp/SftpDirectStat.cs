using System.Reflection;
using System.Runtime.CompilerServices;
using System.Text;
using Renci.SshNet;
using Renci.SshNet.Common;
using Renci.SshNet.Sftp;

namespace Ferry.Connectors.Sftp;

/// <summary>
/// A stat in one SFTP request instead of SSH.NET's two, awaited without blocking a thread.
/// </summary>
/// <remarks>
/// SSH.NET's stat calls (<c>Get</c>, <c>GetAttributes</c>, <c>Exists</c>) resolve the path with a
/// realpath request first, so each is two round trips (realpath, then lstat of the resolved path).
/// SSH_FXP_STAT gives the same answer in one: it follows symbolic links as the realpath did, and a
/// missing path is "no such file" either way (a dangling link too, which suits Ferry: it is not a
/// file to transfer). Ferry confines and normalises paths itself, so it has no use for the
/// realpath. SSH.NET has no public way to send a bare stat; this builds its internal
/// <c>SftpStatRequest</c> and sends it through the session (<see cref="SftpSessionAccess"/>), the
/// answer arriving through a callback (<see cref="SftpAnswer{T}"/>: why not SSH.NET's blocking
/// or async calls). Measured on the 2-core machine (`bench/run api-create`, one stat per
/// request): see the README. If another SSH.NET version moved those internals, the first call
/// finds out and every stat goes back to the public two-request <c>GetAttributes</c> on an SFTP
/// call thread: slower, never wrong. The connector tests assert the one-request path is the one
/// in use (and print <see cref="FallbackReason"/>), so an upgrade that loses it fails there rather
/// than in production.
/// </remarks>
internal static class SftpDirectStat
{
    private const string Responses = "Renci.SshNet.Sftp.Responses.";
    private const string AttrsResponse = Responses + "SftpAttrsResponse, Renci.SshNet";
    private const string StatusResponse = Responses + "SftpStatusResponse, Renci.SshNet";
    private const string StatRequest = "Renci.SshNet.Sftp.Requests.SftpStatRequest, Renci.SshNet";
    private const string AttrsAction = "System.Action`1[[" + AttrsResponse + "]]";
    private const string StatusAction = "System.Action`1[[" + StatusResponse + "]]";

    private static readonly Type? AttrsActionType = Type.GetType(AttrsAction, throwOnError: false);
    private static readonly Type? StatusActionType = Type.GetType(StatusAction, throwOnError: false);
    private static readonly MethodInfo OnAttributesMethod = typeof(Answer).GetMethod(nameof(Answer.OnAttributes))!;
    private static readonly MethodInfo OnStatusMethod = typeof(Answer).GetMethod(nameof(Answer.OnStatus))!;

    private static volatile bool _unavailable = Missing() is not null;

    /// <summary>True while the one-request stat works with the SSH.NET in use.</summary>
    public static bool Available => !_unavailable;

    /// <summary>Why the one-request stat was given up, once it was.</summary>
    public static string? FallbackReason { get; private set; } = Missing();

    /// <summary>
    /// Attributes of <paramref name="path"/>, following symbolic links. Cancelling leaves the request
    /// outstanding, so the caller drops the connection.
    /// </summary>
    /// <exception cref="SftpPathNotFoundException">Nothing at <paramref name="path"/>.</exception>
    public static Task<SftpFileAttributes> StatAsync(SftpClient client, string path, CancellationToken cancellationToken)
    {
        if (!_unavailable)
        {
            try
            {
                return StatDirect(client, path, cancellationToken);
            }
            // Building and sending the request throws only SSH exceptions otherwise.
            catch (Exception ex) when (SftpSessionAccess.IsUnbound(ex))
            {
                FallbackReason = $"{ex.GetType().Name}: {ex.Message}";
                _unavailable = true;
            }
        }

        return SftpBlockingCalls.Run(() => client.GetAttributes(path), cancellationToken);
    }

    private static string? Missing() =>
        SftpSessionAccess.Missing ?? (AttrsActionType is null || StatusActionType is null ? $"no type {AttrsAction} or {StatusAction}" : null);

    // Not inlined, so a missing member surfaces as an exception from this call, not from the JIT
    // compiling the caller.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static Task<SftpFileAttributes> StatDirect(SftpClient client, string path, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var session = SftpSessionAccess.Session(client);
        // A session that already failed would never answer; this also binds the accessors the
        // wait uses, so missing ones send the first stat to the fallback rather than fail it later.
        SftpSessionAccess.ThrowIfFailed(session);
        var answer = new Answer(path);
        var request = NewStatRequest(SftpSessionAccess.ProtocolVersion(session), SftpSessionAccess.NextRequestId(session), path, SftpSessionAccess.Encoding(session),
            SftpAnswer<SftpFileAttributes>.Callback(AttrsActionType!, answer, OnAttributesMethod),
            SftpAnswer<SftpFileAttributes>.Callback(StatusActionType!, answer, OnStatusMethod));
        SftpSessionAccess.SendRequest(session, request);
        return answer.Result.WaitAsync(session, client.OperationTimeout, cancellationToken);
    }

    /// <summary>
    /// The two ways the server can answer a stat: attributes, or a status (an error). Runs on
    /// SSH.NET's receive thread, where an exception would fail the whole session: none escapes.
    /// </summary>
    private sealed class Answer(string path)
    {
        public SftpAnswer<SftpFileAttributes> Result { get; } = new();

        public void OnAttributes(object response)
        {
            try
            {
                Result.Complete(AttributesOf(response));
            }
            catch (Exception ex)
            {
                Result.Fail(ex);
            }
        }

        public void OnStatus(object response)
        {
            try
            {
                Result.Fail(GetSftpException(null, response, path) ?? new SshException($"The server answered a stat of '{path}' with OK but no attributes."));
            }
            catch (Exception ex)
            {
                Result.Fail(ex);
            }
        }
    }

    [UnsafeAccessor(UnsafeAccessorKind.Constructor)]
    [return: UnsafeAccessorType(StatRequest)]
    private static extern object NewStatRequest(uint protocolVersion, uint requestId, string path, Encoding encoding,
        [UnsafeAccessorType(AttrsAction)] object attrsAction, [UnsafeAccessorType(StatusAction)] object statusAction);

    [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "get_Attributes")]
    private static extern SftpFileAttributes AttributesOf([UnsafeAccessorType(AttrsResponse)] object response);

    [UnsafeAccessor(UnsafeAccessorKind.StaticMethod, Name = "GetSftpException")]
    private static extern SftpException? GetSftpException(
        [UnsafeAccessorType(SftpSessionAccess.SessionTypeName)] object? session, [UnsafeAccessorType(StatusResponse)] object response, string path);
}
