using System.Buffers;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Text;
using Renci.SshNet;
using Renci.SshNet.Common;
using Renci.SshNet.Sftp;

namespace Ferry.Connectors.Sftp;

/// <summary>An answer to a read: <see cref="Count"/> bytes in a buffer rented from <see cref="ArrayPool{T}.Shared"/>; 0 at the end of the file.</summary>
internal readonly record struct SftpChunk(byte[]? Buffer, int Count)
{
    public static readonly SftpChunk EndOfFile = new(null, 0);

    public void Return()
    {
        if (Buffer is not null)
        {
            ArrayPool<byte>.Shared.Return(Buffer);
        }
    }
}

/// <summary>How a file is opened for writing.</summary>
internal enum SftpOpenMode
{
    /// <summary>Created, or truncated if it exists.</summary>
    Replace,

    /// <summary>Created; the server refuses if something is already there.</summary>
    CreateOnly,

    /// <summary>As it is (a part file being continued): not created, not truncated.</summary>
    Existing,
}

/// <summary>
/// Open, read and close as single SFTP requests answered by callback (<see cref="SftpAnswer{T}"/>),
/// built from SSH.NET's internal request types (<see cref="SftpSessionAccess"/>): what
/// <see cref="SftpCallbackReadStream"/> reads a file with, and <see cref="SftpCallbackWriter"/> opens and closes one.
/// </summary>
internal static class SftpFileRequests
{
    private const string Requests = "Renci.SshNet.Sftp.Requests.";
    private const string Responses = "Renci.SshNet.Sftp.Responses.";
    private const string HandleResponse = Responses + "SftpHandleResponse, Renci.SshNet";
    private const string DataResponse = Responses + "SftpDataResponse, Renci.SshNet";
    private const string StatusResponse = Responses + "SftpStatusResponse, Renci.SshNet";
    private const string HandleAction = "System.Action`1[[" + HandleResponse + "]]";
    private const string DataAction = "System.Action`1[[" + DataResponse + "]]";
    private const string StatusAction = "System.Action`1[[" + StatusResponse + "]]";

    private static readonly Type? HandleActionType = Type.GetType(HandleAction, throwOnError: false);
    private static readonly Type? DataActionType = Type.GetType(DataAction, throwOnError: false);
    private static readonly Type? StatusActionType = Type.GetType(StatusAction, throwOnError: false);
    private static readonly Type? FlagsType = Type.GetType("Renci.SshNet.Sftp.Flags, Renci.SshNet", throwOnError: false);

    // SftpOpenRequest takes SSH.NET's internal Flags enum by value, which UnsafeAccessor cannot
    // express: that one constructor is called through reflection.
    private static readonly ConstructorInfo? OpenConstructor = FlagsType is null || HandleActionType is null || StatusActionType is null
        ? null
        : Type.GetType(Requests + "SftpOpenRequest, Renci.SshNet", throwOnError: false)?.GetConstructor(
            [typeof(uint), typeof(uint), typeof(string), typeof(Encoding), FlagsType, HandleActionType, StatusActionType]);

    private static readonly object? ReadFlag = FlagsType is null ? null : Enum.ToObject(FlagsType, 0x01); // SSH_FXF_READ
    private static readonly object? ReplaceFlags = FlagsType is null ? null : Enum.ToObject(FlagsType, 0x02 | 0x08 | 0x10); // WRITE | CREAT | TRUNC
    private static readonly object? CreateOnlyFlags = FlagsType is null ? null : Enum.ToObject(FlagsType, 0x02 | 0x08 | 0x20); // WRITE | CREAT | EXCL
    private static readonly object? ExistingFlags = FlagsType is null ? null : Enum.ToObject(FlagsType, 0x02); // WRITE

    private static volatile bool _unavailable = Missing() is not null;

    /// <summary>True while these requests work with the SSH.NET in use; otherwise files are read through SSH.NET's SftpFileStream.</summary>
    public static bool Available => !_unavailable;

    /// <summary>Why they were given up, once they were.</summary>
    public static string? FallbackReason { get; private set; } = Missing();

    /// <summary>An accessor did not bind (<see cref="SftpSessionAccess.IsUnbound"/>): from now on, SSH.NET's public API.</summary>
    public static void GiveUp(Exception ex)
    {
        FallbackReason = $"{ex.GetType().Name}: {ex.Message}";
        _unavailable = true;
    }

    private static string? Missing() =>
        SftpSessionAccess.Missing ?? (OpenConstructor is null || DataActionType is null ? "no SftpOpenRequest(..., Flags, ...) or SftpDataResponse" : null);

    /// <summary>Opens <paramref name="path"/> for reading; the answer is the handle.</summary>
    public static Task<byte[]> OpenForReadAsync(object session, string path, TimeSpan timeout, CancellationToken cancellationToken) =>
        OpenAsync(session, path, ReadFlag, timeout, cancellationToken);

    /// <summary>Opens <paramref name="path"/> for writing as <paramref name="mode"/> says; the answer is the handle.</summary>
    public static Task<byte[]> OpenForWriteAsync(object session, string path, SftpOpenMode mode, TimeSpan timeout, CancellationToken cancellationToken) =>
        OpenAsync(session, path, mode switch { SftpOpenMode.CreateOnly => CreateOnlyFlags, SftpOpenMode.Existing => ExistingFlags, _ => ReplaceFlags }, timeout, cancellationToken);

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static Task<byte[]> OpenAsync(object session, string path, object? flags, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var answer = new OpenAnswer(path);
        var request = OpenConstructor!.Invoke([SftpSessionAccess.ProtocolVersion(session), SftpSessionAccess.NextRequestId(session), path, SftpSessionAccess.Encoding(session), flags,
            SftpAnswer<byte[]>.Callback(HandleActionType!, answer, OpenAnswer.OnHandleMethod), SftpAnswer<byte[]>.Callback(StatusActionType!, answer, OpenAnswer.OnStatusMethod)]);
        SftpSessionAccess.SendRequest(session, request);
        return answer.Result.WaitAsync(session, timeout, cancellationToken);
    }

    /// <summary>Asks for <paramref name="length"/> bytes at <paramref name="offset"/>; the answer may hold fewer, or none at the end.</summary>
    public static SftpAnswer<SftpChunk> Read(object session, byte[] handle, long offset, int length)
    {
        var answer = new ReadAnswer();
        var request = NewReadRequest(SftpSessionAccess.ProtocolVersion(session), SftpSessionAccess.NextRequestId(session), handle, (ulong)offset, (uint)length,
            SftpAnswer<SftpChunk>.Callback(DataActionType!, answer, ReadAnswer.OnDataMethod), SftpAnswer<SftpChunk>.Callback(StatusActionType!, answer, ReadAnswer.OnStatusMethod));
        SftpSessionAccess.SendRequest(session, request);
        return answer.Result;
    }

    /// <summary>Closes <paramref name="handle"/>.</summary>
    public static Task<bool> CloseAsync(object session, byte[] handle, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var answer = new CloseAnswer();
        var request = NewCloseRequest(SftpSessionAccess.ProtocolVersion(session), SftpSessionAccess.NextRequestId(session), handle,
            SftpAnswer<bool>.Callback(StatusActionType!, answer, CloseAnswer.OnStatusMethod));
        SftpSessionAccess.SendRequest(session, request);
        return answer.Result.WaitAsync(session, timeout, cancellationToken);
    }

    /// <summary>The exception SSH.NET would throw for a status answer; null for OK.</summary>
    public static Exception? Error(object statusResponse, string? path) => GetSftpException(null, statusResponse, path!);

    // The answers run on SSH.NET's receive thread, where an exception would fail the whole session: none escapes.
    private sealed class OpenAnswer(string path)
    {
        public static readonly MethodInfo OnHandleMethod = typeof(OpenAnswer).GetMethod(nameof(OnHandle))!;
        public static readonly MethodInfo OnStatusMethod = typeof(OpenAnswer).GetMethod(nameof(OnStatus))!;

        public SftpAnswer<byte[]> Result { get; } = new();

        public void OnHandle(object response) => Result.Run(() => HandleOf(response));

        public void OnStatus(object response) => Result.Run(() => throw (Error(response, path) ?? new SshException($"The server answered opening '{path}' with OK but no handle.")));
    }

    private sealed class ReadAnswer
    {
        public static readonly MethodInfo OnDataMethod = typeof(ReadAnswer).GetMethod(nameof(OnData))!;
        public static readonly MethodInfo OnStatusMethod = typeof(ReadAnswer).GetMethod(nameof(OnStatus))!;

        public SftpAnswer<SftpChunk> Result { get; } = new();

        // The data points into SSH.NET's receive buffer: copied before returning.
        public void OnData(object response) => Result.Run(() =>
        {
            var data = DataOf(response);
            if (data.Count == 0)
            {
                return SftpChunk.EndOfFile;
            }

            var buffer = ArrayPool<byte>.Shared.Rent(data.Count);
            data.AsSpan().CopyTo(buffer);
            return new SftpChunk(buffer, data.Count);
        });

        public void OnStatus(object response) =>
            Result.Run(() => StatusCodeOf(response) == StatusCode.Eof ? SftpChunk.EndOfFile : throw (Error(response, null) ?? new SshException("The server answered a read with OK but no data.")));
    }

    private sealed class CloseAnswer
    {
        public static readonly MethodInfo OnStatusMethod = typeof(CloseAnswer).GetMethod(nameof(OnStatus))!;

        public SftpAnswer<bool> Result { get; } = new();

        public void OnStatus(object response) => Result.Run(() => Error(response, null) is { } error ? throw error : true);
    }

    [UnsafeAccessor(UnsafeAccessorKind.Constructor)]
    [return: UnsafeAccessorType(Requests + "SftpReadRequest, Renci.SshNet")]
    private static extern object NewReadRequest(uint protocolVersion, uint requestId, byte[] handle, ulong offset, uint length,
        [UnsafeAccessorType(DataAction)] object dataAction, [UnsafeAccessorType(StatusAction)] object statusAction);

    [UnsafeAccessor(UnsafeAccessorKind.Constructor)]
    [return: UnsafeAccessorType(Requests + "SftpCloseRequest, Renci.SshNet")]
    private static extern object NewCloseRequest(uint protocolVersion, uint requestId, byte[] handle, [UnsafeAccessorType(StatusAction)] object statusAction);

    [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "get_Handle")]
    private static extern byte[] HandleOf([UnsafeAccessorType(HandleResponse)] object response);

    [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "get_Data")]
    private static extern ArraySegment<byte> DataOf([UnsafeAccessorType(DataResponse)] object response);

    [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "get_StatusCode")]
    private static extern StatusCode StatusCodeOf([UnsafeAccessorType(StatusResponse)] object response);

    [UnsafeAccessor(UnsafeAccessorKind.StaticMethod, Name = "GetSftpException")]
    private static extern SftpException? GetSftpException(
        [UnsafeAccessorType(SftpSessionAccess.SessionTypeName)] object? session, [UnsafeAccessorType(StatusResponse)] object response, string path);
}
