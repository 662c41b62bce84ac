using ClinFuse.Cli;

return await CliApp.RunAsync(args);
