using System.Globalization;
using System.Text;
using Ferry.Connectors.Sftp;
using Ferry.Core.Connectors;
using Ferry.Core.Errors;
using Ferry.TestRig;

namespace Ferry.Connectors.Tests.Sftp;

/// <summary>SFTP behaviour beyond the shared contract: authentication, host keys, chroot, permissions, renames.</summary>
[Collection("rig")]
public sealed class SftpConnectorTests(Rig rig)
{
    private SftpServer Server => rig.Sftp;

    [Fact]
    public async Task RsaKeyUser_CanWriteAndRead()
    {
        await using var c = new SftpConnector(Server.RsaKeyUser());

        await Write(c, "rsa.txt", "via rsa");

        Assert.Equal(7, (await c.StatAsync("rsa.txt", default))!.Size);
    }

    [Fact]
    public async Task PasswordUser_CanWriteAndRead()
    {
        await using var c = new SftpConnector(Server.PasswordUserOptions());

        await Write(c, "pw.txt", "via password");

        Assert.Equal(12, (await c.StatAsync("pw.txt", default))!.Size);
    }

    // Safety net so a call that cannot be cancelled fails the test instead of hanging it (the
    // connections below would otherwise wait for their 10-minute operation timeout).
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Stat_OnAServerThatStoppedAnswering_EndsWhenCancelled()
    {
        await using var proxy = StallingTcpProxy.Start(Server.Host, Server.Port);
        await using var c = new SftpConnector(Server.KeyUser() with { Port = proxy.Port, OperationTimeout = TimeSpan.FromMinutes(10) });
        await Write(c, "still.txt", "there");
        proxy.Stall();
        using var cts = new CancellationTokenSource();

        var stat = c.StatAsync("still.txt", cts.Token);
        await proxy.HeldData.WaitAsync(Patience);
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => stat.WaitAsync(Patience));
    }

    [Fact]
    public async Task Read_FromAServerThatStoppedAnswering_EndsWhenCancelled()
    {
        await using var proxy = StallingTcpProxy.Start(Server.Host, Server.Port);
        await using var c = new SftpConnector(Server.KeyUser() with { Port = proxy.Port, OperationTimeout = TimeSpan.FromMinutes(10) });
        await Write(c, "big.bin", new string('x', 1 << 20));
        await using var stream = await c.OpenReadAsync("big.bin", 0, null, default);
        proxy.Stall();
        using var cts = new CancellationTokenSource();

        var read = stream.ReadAsync(new byte[1 << 20], cts.Token).AsTask();
        await proxy.HeldData.WaitAsync(Patience);
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => read.WaitAsync(Patience));
    }

    [Fact]
    public async Task Listing_FollowsALinkToAFile_AndLeavesOutADanglingOne()
    {
        var options = Server.KeyUser();
        await using var c = new SftpConnector(options);
        await Write(c, "real.txt", "twelve bytes");
        File.CreateSymbolicLink(Path.Combine(options.BasePath, "link.txt"), Path.Combine(options.BasePath, "real.txt"));
        File.CreateSymbolicLink(Path.Combine(options.BasePath, "dangling.txt"), Path.Combine(options.BasePath, "gone.txt"));

        var entries = new List<RemoteEntry>();
        await foreach (var e in c.ListAsync("", ListOptions.Default, default))
        {
            entries.Add(e);
        }

        Assert.Equal(["link.txt", "real.txt"], entries.Select(e => e.Path).Order());
        Assert.All(entries, e => Assert.Equal(12, e.Size));
        Assert.Equal(12, (await c.StatAsync("link.txt", default))!.Size);
        Assert.Null(await c.StatAsync("dangling.txt", default));
    }

    [Fact]
    public async Task WrongPassword_FailsAuthenticationPermanently()
    {
        await using var c = new SftpConnector(Server.PasswordUserOptions(password: "not-the-password"));

        var ex = await Assert.ThrowsAsync<FerryException>(() => c.StatAsync("x", default));

        Assert.Equal(ErrorCodes.AuthenticationFailed, ex.Code);
        Assert.Equal(ErrorKind.Permanent, ex.Kind);
    }

    [Fact]
    public async Task WrongKey_FailsAuthenticationPermanently()
    {
        var options = Server.KeyUser() with { PrivateKey = File.ReadAllText(Server.RsaKeyPath) };
        await using var c = new SftpConnector(options);

        var ex = await Assert.ThrowsAsync<FerryException>(() => c.StatAsync("x", default));

        Assert.Equal(ErrorCodes.AuthenticationFailed, ex.Code);
    }

    [Fact]
    public async Task WrongPinnedHostKey_FailsHostKeyMismatchPermanentlyAndNamesBothKeys()
    {
        const string pinned = "SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
        await using var c = new SftpConnector(Server.KeyUser() with { HostKeySha256 = pinned });

        var ex = await Assert.ThrowsAsync<FerryException>(() => c.StatAsync("x", default));

        Assert.Equal(ErrorCodes.HostKeyMismatch, ex.Code);
        Assert.Equal(ErrorKind.Permanent, ex.Kind);
        Assert.Contains(Server.HostKey, ex.Message);
        Assert.Contains(pinned, ex.Message);
    }

    [Fact]
    public async Task NoPinnedHostKey_FailsNotTrustedAndReportsPresentedKey()
    {
        await using var c = new SftpConnector(Server.KeyUser() with { HostKeySha256 = null });

        var ex = await Assert.ThrowsAsync<FerryException>(() => c.StatAsync("x", default));

        Assert.Equal(ErrorCodes.HostKeyNotTrusted, ex.Code);
        Assert.Contains(Server.HostKey, ex.Message);
        Assert.Equal(Server.HostKey, c.LastPresentedHostKey);
    }

    [Fact]
    public async Task PinnedHostKey_WithoutPrefixOrWithPadding_IsAccepted()
    {
        var bare = Server.HostKey["SHA256:".Length..] + "=";
        await using var c = new SftpConnector(Server.KeyUser() with { HostKeySha256 = bare });

        Assert.Null(await c.StatAsync("nothing-here", default));
    }

    [Fact]
    public async Task NothingListening_FailsConnectionTransiently()
    {
        var closedPort = LoopbackPort.Free();
        await using var c = new SftpConnector(Server.KeyUser() with { Port = closedPort });

        var ex = await Assert.ThrowsAsync<FerryException>(() => c.StatAsync("x", default));

        Assert.Equal(ErrorKind.Transient, ex.Kind);
        Assert.Equal(ErrorCodes.ConnectionFailed, ex.Code);
    }

    [Fact]
    public async Task WriteIntoReadOnlyDirectory_FailsPermissionDeniedPermanently()
    {
        await using var c = new SftpConnector(Server.KeyUser(basePath: Server.Ed25519Base));

        var ex = await Assert.ThrowsAsync<FerryException>(() => Write(c, "readonly/new.txt", "no"));

        Assert.Equal(ErrorCodes.PermissionDenied, ex.Code);
        Assert.Equal(ErrorKind.Permanent, ex.Kind);
    }

    [Fact]
    public async Task ChrootedUser_SeesOnlyItsJail()
    {
        await using var c = new SftpConnector(Server.JailUserOptions() with { BasePath = "/" });
        var name = "upload/jailed-" + Guid.NewGuid().ToString("N")[..6] + ".txt";

        await Write(c, name, "inside");
        var top = new List<RemoteEntry>();
        await foreach (var e in c.ListAsync("", ListOptions.Default, default))
        {
            top.Add(e);
        }

        Assert.Equal(["upload"], top.Select(e => e.Path));
        Assert.True(File.Exists(Path.Combine(Server.JailRoot, name)));
        Assert.Null(await c.StatAsync("etc/passwd", default));
    }

    [Fact]
    public async Task RenameAtomic_WithoutReplaceOntoExistingFile_FailsAlreadyExistsAndKeepsBoth()
    {
        await using var c = new SftpConnector(Server.KeyUser());
        await Write(c, "a.txt", "A");
        await Write(c, "b.txt", "B");

        var ex = await Assert.ThrowsAsync<FerryException>(() => c.RenameAtomicAsync("a.txt", "b.txt", replaceExisting: false, default));

        Assert.Equal(ErrorCodes.AlreadyExists, ex.Code);
        Assert.NotNull(await c.StatAsync("a.txt", default));
    }

    [Fact]
    public async Task RenameAtomic_WithReplace_UsesPosixRename()
    {
        await using var c = new SftpConnector(Server.KeyUser());
        await Write(c, "a.txt", "A");
        await Write(c, "b.txt", "B");

        var outcome = await c.RenameAtomicAsync("a.txt", "b.txt", replaceExisting: true, default);

        Assert.Equal(RenameOutcome.Atomic, outcome);
        Assert.Null(await c.StatAsync("a.txt", default));
    }

    [Fact]
    public async Task RenameAtomic_OnAServerRefusingPosixRename_IsAtomicOntoANewName_AndDeletesFirstOnlyOverAnOldFile()
    {
        await using var c = new SftpConnector(Server.NoPosixRenameUserOptions());
        await Write(c, "a.txt", "A");
        await Write(c, "b.txt", "B");
        await Write(c, "c.txt", "C");

        // Nothing has the name yet: the plain rename is atomic.
        Assert.Equal(RenameOutcome.Atomic, await c.RenameAtomicAsync("a.txt", "new.txt", replaceExisting: true, default));
        // Over an existing file: the old one is deleted first, and the caller is told.
        Assert.Equal(RenameOutcome.DeleteThenRename, await c.RenameAtomicAsync("b.txt", "c.txt", replaceExisting: true, default));
        var ex = await Assert.ThrowsAsync<FerryException>(() => c.RenameAtomicAsync("new.txt", "c.txt", replaceExisting: false, default));

        Assert.Equal(ErrorCodes.AlreadyExists, ex.Code);
        Assert.Equal("A", await ReadAsync(c, "new.txt"));
        Assert.Equal("B", await ReadAsync(c, "c.txt"));
        Assert.Null(await c.StatAsync("a.txt", default));
        Assert.Null(await c.StatAsync("b.txt", default));
    }

    [Fact]
    public async Task RenameAtomic_OnAServerRefusingPosixRename_StillReportsAPermissionProblemAsOne()
    {
        var options = Server.NoPosixRenameUserOptions();
        await using var c = new SftpConnector(options);
        await Write(c, "a.txt", "A");
        // Made by root: the SFTP user may not write into it.
        Directory.CreateDirectory(Path.Combine(options.BasePath, "locked"));

        var ex = await Assert.ThrowsAsync<FerryException>(() => c.RenameAtomicAsync("a.txt", "locked/a.txt", replaceExisting: true, default));

        Assert.Equal(ErrorCodes.PermissionDenied, ex.Code);
        Assert.Equal("A", await ReadAsync(c, "a.txt"));
    }

    [Fact]
    public async Task Connection_PrefersAes128Gcm()
    {
        await using var c = new SftpConnector(Server.KeyUser());

        await c.CheckAsync(default);

        Assert.Equal("aes128-gcm@openssh.com", c.LastCipher);
    }

    [Fact]
    public async Task Connection_SocketBlocksInTheKernel_AndStillClosesPromptly()
    {
        var c = new SftpConnector(Server.KeyUser());
        await Write(c, "blocking.txt", "abc");

        Assert.True(c.SocketBlocks, "SSH.NET's session socket was not found or not changed (an SSH.NET upgrade moved Session._socket?)");
        Assert.Equal("abc", await ReadAsync(c, "blocking.txt"));
        // SSH.NET's message loop is now waiting in the kernel; closing must wake it.
        var closing = c.DisposeAsync().AsTask();
        Assert.Same(closing, await Task.WhenAny(closing, Task.Delay(TimeSpan.FromSeconds(10))));
    }

    [Fact]
    public async Task Connection_SocketBuffers_AreWhatTheKernelAllowsNotSshNetsPinned268KiB()
    {
        await using var c = new SftpConnector(Server.KeyUser());

        await c.CheckAsync(default);

        // SSH.NET sets 137,072 bytes (the kernel doubles it); Ferry asks for 4 MiB, which the kernel caps at rmem_max, then doubles.
        var ceiling = int.Parse(File.ReadAllText("/proc/sys/net/core/rmem_max").Trim(), CultureInfo.InvariantCulture);
        Assert.Equal(2 * Math.Min(SftpSocketBuffers.Bytes, ceiling), c.SocketReceiveBuffer);
    }

    [Fact]
    public async Task ManyConcurrentOperations_ShareTheBoundedPool()
    {
        await using var c = new SftpConnector(Server.KeyUser() with { MaxConnections = 2 });

        await Task.WhenAll(Enumerable.Range(0, 12).Select(i => Write(c, $"p/{i}.txt", new string('x', i))));

        for (var i = 0; i < 12; i++)
        {
            Assert.Equal(i, (await c.StatAsync($"p/{i}.txt", default))!.Size);
        }
    }

    private static Task<WriteResult> Write(SftpConnector c, string path, string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        return c.WriteAsync(path, new MemoryStream(bytes), bytes.Length, WriteOptions.Default, default);
    }

    private static async Task<string> ReadAsync(SftpConnector c, string path)
    {
        await using var stream = await c.OpenReadAsync(path, 0, null, default);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return await reader.ReadToEndAsync();
    }
}
