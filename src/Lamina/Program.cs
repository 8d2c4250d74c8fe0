using System.CommandLine;
using Lamina.Cli;
using Lamina.Hosting;

// serve: re-executes once with the runtime's tiering delay at 0 (see JitTiering).
JitTiering.ReexecServeIfUnset(args);

// On SIGTERM System.CommandLine cancels the action and, by default, ends the process 2 s later, whether or
// not shutdown finished. Shutdown kills every environment, unmounts its /tmp volume and, on the gVisor tier,
// deletes its runsc container; give it 30 s, inside systemd's default stop timeout of 90 s.
return await LaminaCli.Build().Parse(args).InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = TimeSpan.FromSeconds(30) });
