using Ferry.Core.Connectors;
using Ferry.Core.Errors;
using Ferry.Core.Paths;
using Renci.SshNet;
using Renci.SshNet.Common;

namespace Ferry.Connectors.Sftp;

/// <summary>
/// Renames, and the atomic delivery that rests on them. posix-rename@openssh.com replaces the
/// target in one step. Where the server does not offer it, or offers it and refuses it (OpenSSH's
/// internal-sftp run with "-P posix-rename", as hardened servers are), a plain SFTP rename is
/// still atomic when nothing has the name yet; only over an existing file is the old one
/// deleted first (<see cref="RenameOutcome.DeleteThenRename"/>, which the caller records).
/// </summary>
public sealed partial class SftpConnector
{
    /// <summary>Set once posix-rename failed and the plain rename then worked: the server refuses it, so later renames skip asking.</summary>
    private volatile bool _noPosixRename;

    public async Task RenameAsync(string from, string to, CancellationToken cancellationToken) =>
        await RenameAtomicAsync(from, to, replaceExisting: true, cancellationToken).ConfigureAwait(false);

    public async Task<RenameOutcome> RenameAtomicAsync(string from, string to, bool replaceExisting, CancellationToken cancellationToken)
    {
        var relFrom = RemotePath.Normalize(from);
        var relTo = RemotePath.Normalize(to);
        await CreateDirectoryAsync(RemotePath.Parent(relTo), cancellationToken).ConfigureAwait(false);
        return await RunAsync(relTo, async c =>
        {
            var refused = false;
            if (replaceExisting && !_noPosixRename)
            {
                try
                {
                    await SftpBlockingCalls.Run(() => c.RenameFile(Full(relFrom), Full(relTo), isPosix: true), CancellationToken.None).ConfigureAwait(false);
                    return RenameOutcome.Atomic;
                }
                catch (Exception ex) when (ex is NotSupportedException or SftpPermissionDeniedException)
                {
                    // Not offered, or refused. A directory the user may not write refuses the plain
                    // rename below just the same, and that error is the one reported.
                    refused = true;
                }
            }

            var outcome = await PlainRenameAsync(c, relFrom, relTo, replaceExisting, cancellationToken).ConfigureAwait(false);
            if (refused)
            {
                _noPosixRename = true;
            }

            return outcome;
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// SSH_FXP_RENAME: OpenSSH links the new name, then unlinks the old, so it never replaces a
    /// file - "fail if exists" is decided atomically by the server, and a replacement deletes first.
    /// </summary>
    private async Task<RenameOutcome> PlainRenameAsync(SftpClient c, string relFrom, string relTo, bool replaceExisting, CancellationToken cancellationToken)
    {
        try
        {
            await SftpBlockingCalls.Run(() => c.RenameFile(Full(relFrom), Full(relTo)), cancellationToken).ConfigureAwait(false);
            return RenameOutcome.Atomic;
        }
        catch (SshException) when (!cancellationToken.IsCancellationRequested)
        {
            if (!await ExistsAsync(c, relTo, cancellationToken).ConfigureAwait(false))
            {
                throw;
            }

            if (!replaceExisting)
            {
                throw FerryException.Permanent(ErrorCodes.AlreadyExists, $"{Describe(relTo)} already exists");
            }
        }

        // Readers may briefly see no file under the name, never a partial one.
        try
        {
            await SftpBlockingCalls.Run(() => c.DeleteFile(Full(relTo)), cancellationToken).ConfigureAwait(false);
        }
        catch (SftpPathNotFoundException)
        {
        }

        await SftpBlockingCalls.Run(() => c.RenameFile(Full(relFrom), Full(relTo)), cancellationToken).ConfigureAwait(false);
        return RenameOutcome.DeleteThenRename;
    }
}
