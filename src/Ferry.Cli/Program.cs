using System.CommandLine;
using Ferry.Cli.Commands;

var serve = ServeCommand.Create();
var root = new RootCommand("Ferry: move files between SFTP servers and S3 buckets, streamed, verified and atomic.")
{
    CopyCommand.Create(),
    serve,
};
var parsed = root.Parse(args);
// `serve` shuts down through its host, which gives running transfers their grace period;
// System.CommandLine's own Ctrl-C handling would end the process two seconds after the signal.
var invocation = parsed.CommandResult.Command == serve ? new InvocationConfiguration { ProcessTerminationTimeout = null } : null;
return await parsed.InvokeAsync(invocation);
