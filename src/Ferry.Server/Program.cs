using Ferry.Server.Hosting;

return await FerryHost.RunAsync(args).ConfigureAwait(false);
