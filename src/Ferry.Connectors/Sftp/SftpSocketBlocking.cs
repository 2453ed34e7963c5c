using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Renci.SshNet;

namespace Ferry.Connectors.Sftp;

/// <summary>
/// Lets a connected SSH session's socket block in the kernel again.
/// </summary>
/// <remarks>
/// SSH.NET connects asynchronously, and a .NET socket that has seen one asynchronous operation
/// keeps its descriptor non-blocking for good: from then on a blocking Receive that finds nothing
/// to read parks its thread on an event, which the runtime's epoll thread sets when data comes.
/// SSH.NET's message loop receives that way, so every answer from the server woke two threads
/// instead of one (the small-files benchmark: about 7 of the server's 55 context switches per
/// file, each a few tens of microseconds on this VM). Once connected, SSH.NET only sends and
/// receives synchronously (its loop thread receives, senders take its lock), and the runtime
/// tries each synchronous operation on the descriptor first; with the descriptor blocking again,
/// that try waits in the kernel. Disconnecting shuts the socket down first, which wakes a receive
/// blocked in the kernel as it woke the runtime's wait. Best effort: if SSH.NET's internals moved
/// or the call fails, the socket stays as it was and only the extra wake-ups remain.
/// </remarks>
internal static class SftpSocketBlocking
{
    private const int GetFlags = 3; // F_GETFL
    private const int SetFlags = 4; // F_SETFL
    private const int NonBlock = 0x800; // O_NONBLOCK on Linux

    /// <summary>True when the session's socket (<see cref="SocketOf"/>) now blocks in the kernel.</summary>
    public static bool TryRestore(Socket? socket)
    {
        if (!OperatingSystem.IsLinux() || socket is null)
        {
            return false;
        }

        try
        {
            return Restore(socket);
        }
        catch (Exception ex) when (ex is ObjectDisposedException or DllNotFoundException or EntryPointNotFoundException)
        {
            return false;
        }
    }

    /// <summary>The connected session's socket; null if SSH.NET's internals no longer expose it.</summary>
    public static Socket? SocketOf(SftpClient client)
    {
        try
        {
            return SessionSocket(client);
        }
        catch (Exception ex) when (SftpSessionAccess.IsUnbound(ex))
        {
            return null;
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static Socket? SessionSocket(SftpClient client)
    {
        var session = SessionOf(client);
        return session is not null && session.GetType() == typeof(Session) ? SocketField((Session)session) : null;
    }

    private static bool Restore(Socket socket)
    {
        var handle = socket.SafeHandle;
        var added = false;
        try
        {
            handle.DangerousAddRef(ref added);
            var fd = (int)handle.DangerousGetHandle();
            var flags = Fcntl(fd, GetFlags, 0);
            return flags >= 0 && ((flags & NonBlock) == 0 || Fcntl(fd, SetFlags, flags & ~NonBlock) == 0);
        }
        finally
        {
            if (added)
            {
                handle.DangerousRelease();
            }
        }
    }

    [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "get_Session")]
    [return: UnsafeAccessorType("Renci.SshNet.ISession, Renci.SshNet")]
    private static extern object? SessionOf(BaseClient client);

    [UnsafeAccessor(UnsafeAccessorKind.Field, Name = "_socket")]
    private static extern ref Socket? SocketField(Session session);

    // glibc's (musl has no libc.so.6: the call fails as not found and nothing changes). fcntl is
    // variadic; x86-64 and arm64 Linux pass int arguments to it as to a fixed signature.
    [DllImport("libc.so.6", EntryPoint = "fcntl")]
    private static extern int Fcntl(int fd, int command, int argument);
}
