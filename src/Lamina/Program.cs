using Lamina.Cli;

return await LaminaCli.Build().Parse(args).InvokeAsync();
