using Lamina.Benchmarks;

return await BenchCli.Build().Parse(args).InvokeAsync();
