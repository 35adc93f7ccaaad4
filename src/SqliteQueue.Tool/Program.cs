using SqliteQueue.CommandLine;

return await SqliteQueueCommandLine.RunAsync(args).ConfigureAwait(false);
