using System.CommandLine;
using Ferry.Cli.Commands;

var root = new RootCommand("Ferry: move files between SFTP servers and S3 buckets, streamed, verified and atomic.")
{
    CopyCommand.Create(),
    ServeCommand.Create(),
    TransferCommand.Create(),
    JobsCommand.Create(),
    EndpointsCommand.Create(),
};
var parse = root.Parse(args);
if (parse.Errors.Count > 0 && !args.Any(a => a is "-h" or "--help" or "-?"))
{
    // A bad command line is exit code 2 (ExitCodes.Usage), with the reasons and where help is, not a page of help.
    foreach (var error in parse.Errors)
    {
        Console.Error.WriteLine($"ferry: {error.Message}");
    }

    var command = parse.CommandResult.Command;
    Console.Error.WriteLine($"Run 'ferry{(command == root ? "" : " " + command.Name)} --help' for usage.");
    return ExitCodes.Usage;
}

return await parse.InvokeAsync();
