using System.Net.Sockets;

namespace Ferry.Connectors.Sftp;

/// <summary>
/// Gives an SSH session's socket TCP buffers a bulk transfer can use.
/// </summary>
/// <remarks>
/// SSH.NET sets each socket's send and receive buffers to 134 KiB right after connecting (the
/// kernel doubles that to 268 KiB), and a buffer set by hand is one the kernel no longer grows on
/// its own (TCP autotuning). That caps what one connection carries: a receive window of 268 KiB
/// allows about 2.7 MB/s from a partner 100 ms away, and even on loopback the sender fills the
/// buffer every few packets and sleeps until the other side drains it (the README's Benchmarks,
/// session 22: fewer context switches and less CPU per GiB). The window scale was agreed before
/// SSH.NET shrank the buffers, so raising them takes effect at once. The kernel caps what is asked
/// at <c>net.core.wmem_max</c> / <c>rmem_max</c> (212,992 bytes on a stock Debian: 416 KiB once
/// doubled, still more than SSH.NET's); raise those to let Ferry have the whole <see cref="Bytes"/>,
/// as autotuning would. Memory is taken only for data actually queued, not reserved. Best effort: a
/// socket SSH.NET's internals no longer expose keeps the buffers it had.
/// </remarks>
internal static class SftpSocketBuffers
{
    /// <summary>What Ferry asks for, each way: the Linux default ceiling of TCP autotuning's send side.</summary>
    public const int Bytes = 4 * 1024 * 1024;

    /// <summary>Raises the socket's buffers; returns the receive buffer the kernel granted (0 if the socket could not be reached).</summary>
    public static int TryWiden(Socket? socket)
    {
        if (socket is null)
        {
            return 0;
        }

        try
        {
            socket.SendBufferSize = Math.Max(socket.SendBufferSize, Bytes);
            socket.ReceiveBufferSize = Math.Max(socket.ReceiveBufferSize, Bytes);
            return socket.ReceiveBufferSize;
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            return 0;
        }
    }
}
