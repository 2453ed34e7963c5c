using System.Globalization;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Renci.SshNet;
using Renci.SshNet.Common;

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
/// that try waits in the kernel; then the socket leaves the runtime's epoll set, which would
/// still wake its thread for every segment received (<see cref="LeaveEventPolls"/>). Disconnecting
/// shuts the socket down first, which wakes a receive blocked in the kernel as it woke the
/// runtime's wait. Best effort: if SSH.NET's internals moved or a call fails, the socket stays as
/// it was and only the extra wake-ups remain.
/// </remarks>
internal static class SftpSocketBlocking
{
    private const int GetFlags = 3; // F_GETFL
    private const int SetFlags = 4; // F_SETFL
    private const int NonBlock = 0x800; // O_NONBLOCK on Linux

    /// <summary>What became of the session's socket: whether it blocks in the kernel now, and left the runtime's epoll set.</summary>
    public static SftpSocketState TryRestore(SftpClient client)
    {
        if (!OperatingSystem.IsLinux())
        {
            return default;
        }

        try
        {
            return SocketOf(client) is { } socket ? Restore(client, socket) : default;
        }
        catch (Exception ex) when (SftpSessionAccess.IsUnbound(ex) || ex is ObjectDisposedException or DllNotFoundException or EntryPointNotFoundException)
        {
            return default;
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static Socket? SocketOf(SftpClient client)
    {
        var session = SessionOf(client);
        return session is not null && session.GetType() == typeof(Session) ? SocketField((Session)session) : null;
    }

    private static SftpSocketState Restore(SftpClient client, Socket socket)
    {
        var handle = socket.SafeHandle;
        var added = false;
        try
        {
            handle.DangerousAddRef(ref added);
            var fd = (int)handle.DangerousGetHandle();
            var flags = Fcntl(fd, GetFlags, 0);
            var blocks = flags >= 0 && ((flags & NonBlock) == 0 || Fcntl(fd, SetFlags, flags & ~NonBlock) == 0);
            return new SftpSocketState(blocks, blocks && LeaveEventPolls(client, fd));
        }
        finally
        {
            if (added)
            {
                handle.DangerousRelease();
            }
        }
    }

    /// <summary>
    /// Takes the socket out of the runtime's epoll set, once a round trip has shown that SSH.NET's
    /// receive loop waits in the kernel. SSH.NET's connect put the socket there, edge-triggered for
    /// reads and writes, and it stays: each segment the server sends wakes the runtime's
    /// ".NET Sockets" thread, which finds no operation waiting and sleeps again (15,000 wake-ups
    /// for a 1 GiB SFTP-to-SFTP copy). It cannot leave the set the moment the descriptor blocks:
    /// the receive loop may still be waiting for the runtime's wake-up from before (the next
    /// answer brings it); after that answer every receive waits in the kernel. The runtime never
    /// changes a registration once made, nor removes one (closing the descriptor does), so
    /// nothing else notices. Which epoll instance lists the descriptor is read from /proc.
    /// </summary>
    private static bool LeaveEventPolls(SftpClient client, int fd)
    {
        try
        {
            try
            {
                _ = client.GetAttributes("."); // the round trip
            }
            catch (Exception ex) when (ex is SftpPermissionDeniedException or SftpPathNotFoundException)
            {
                // An answer all the same.
            }

            var left = false;
            foreach (var link in Directory.EnumerateFiles("/proc/self/fd"))
            {
                if (new FileInfo(link).LinkTarget == "anon_inode:[eventpoll]" && int.TryParse(Path.GetFileName(link), out var epoll)
                    && Watches(File.ReadLines($"/proc/self/fdinfo/{epoll}"), fd))
                {
                    left = EpollCtl(epoll, EpollCtlDel, fd, IntPtr.Zero) == 0;
                }
            }

            return left;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or SshException)
        {
            return false; // no /proc, or the round trip failed: the wake-ups stay, nothing else changes
        }
    }

    /// <summary>Whether an epoll instance's fdinfo ("tfd: 8 events: 80000019 data: 0 ...") lists <paramref name="fd"/>.</summary>
    private static bool Watches(IEnumerable<string> fdinfo, int fd) =>
        fdinfo.Any(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries) is ["tfd:", var tfd, ..] && tfd == fd.ToString(CultureInfo.InvariantCulture));

    private const int EpollCtlDel = 2; // EPOLL_CTL_DEL

    [DllImport("libc.so.6", EntryPoint = "epoll_ctl")]
    private static extern int EpollCtl(int epoll, int operation, int fd, IntPtr registration);

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

/// <summary>An SSH session socket as <see cref="SftpSocketBlocking"/> left it.</summary>
/// <param name="Blocks">Its descriptor blocks in the kernel.</param>
/// <param name="LeftEventPoll">The runtime's epoll set no longer wakes a thread for what it receives.</param>
internal readonly record struct SftpSocketState(bool Blocks, bool LeftEventPoll);
