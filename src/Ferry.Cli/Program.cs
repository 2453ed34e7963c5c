using System.CommandLine;
using Ferry.Cli.Commands;

var root = new RootCommand("Ferry: move files between SFTP servers and S3 buckets, streamed, verified and atomic.")
{
    CopyCommand.Create(),
    ServeCommand.Create(),
};
return await root.Parse(args).InvokeAsync();
