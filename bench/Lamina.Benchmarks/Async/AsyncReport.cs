using System.Globalization;
using System.Text;
using Lamina.Benchmarks.ControlPlane;

namespace Lamina.Benchmarks.Async;

/// <summary>Renders a run as the "Asynchronous invocation" section of docs/benchmarks.md.</summary>
internal static class AsyncReport
{
    public const string Heading = "## Asynchronous invocation";

    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static string Markdown(AsyncResults r)
    {
        var s = r.Settings;
        var m = r.Machine;
        var md = new StringBuilder();
        ControlPlaneReport.AppendLastRun(md, Heading, "async", r.StartedAt, r.Took, m);
        if (s.LaminaExecutable is { } executable)
        {
            md.Append(Inv, $" Server: `{executable}` (given with `--lamina`), not necessarily a build of that commit.");
        }

        md.Append("\n\n");
        md.Append(Inv, $"Machine: {m.Cpus} CPUs ({m.CpuModel}), {m.MemoryGiB:F0} GiB, {m.Os}; .NET {m.Dotnet}; ")
            .Append(Inv, $"data directory on {r.FileSystem}. The machine is shared: its 1-minute load average was {r.LoadAverages.Start:F1} at the ")
            .Append(Inv, $"start and {r.LoadAverages.End:F1} at the end ({m.Cpus} would keep every CPU busy), so other tenants' work is in these numbers.\n\n");

        md.Append(Inv, $"**Lamina accepted {r.Saturated.Throughput:N0} events/s, {r.Ratio:F1}x the {r.FloorOneWriter.Rate:N0} commits/s ")
            .Append("its store makes durable one row at a time on the same disk.** Every 202 means the event was committed with fsync first.\n\n");

        md.Append("| What | Rate (/s) | p50 (ms) | p90 (ms) | p99 (ms) | Lamina CPU | Lamina's core busy | Client CPU |\n");
        md.Append("|---|--:|--:|--:|--:|--:|--:|--:|\n");
        Accepted(md, $"Event invocations accepted (202), {s.Workers} closed-loop workers", r.Saturated, r.SaturatedBusy);
        Floor(md, "SQLite commits, 1 writer, 1 row per transaction", r.FloorOneWriter);
        Floor(md, $"SQLite commits, {r.FloorConcurrent.Writers} writers, 1 row per transaction", r.FloorConcurrent);
        md.Append(Inv, $"| **Accepted ÷ 1-writer commits** | **{r.Ratio:F1}x** | | | | | | |\n");
        Accepted(md, $"Event invocations accepted (202), paced at {s.PacedRate:N0}/s", r.Paced, r.PacedBusy);
        md.Append('\n');
        md.Append("Latencies are per request (202 rows: send to complete 202) or per transaction (SQLite rows: waiting for the write lock, ")
            .Append("BEGIN IMMEDIATE, INSERT, COMMIT).\n\n");

        md.Append("Enqueue-to-start: from the client holding the 202 to the function reading its clock as `/next` hands it the event.\n\n");
        md.Append("| Phase | Events | Started | p50 (ms) | p90 (ms) | p99 (ms) | max (ms) |\n");
        md.Append("|---|--:|--:|--:|--:|--:|--:|\n");
        foreach (var (phaseName, phase) in new[] { ($"Paced {s.PacedRate:N0}/s", r.PacedStarts), ("Saturated phase's backlog", r.SaturatedStarts) })
        {
            Starts(md, $"{phaseName}, warm environments", phase.Accepted - phase.Cold, phase.Started - phase.Cold, phase.Warm);
            if (phase.Cold > 0)
            {
                // Shown apart so one environment's creation does not pass for the queue's latency.
                Starts(md, $"{phaseName}, cold (first event of an environment)", phase.Cold, phase.Cold, phase.ColdLatency);
            }
        }

        var (paced, saturated) = (r.PacedStarts, r.SaturatedStarts);

        md.Append('\n');
        md.Append(Inv, $"Paced: {paced.Environments} environment(s) ran the events; {paced.BeforeAccepted} started before the client had read their 202 ")
            .Append("(negative waits: the pollers wake when the commit lands, while the 202 is still on its way).\n\n");
        md.Append(Inv, $"Saturated: the function started {saturated.StartedDuringLoad:N0} of the {saturated.Accepted:N0} accepted events during the ")
            .Append(Inv, $"{s.Duration.TotalSeconds:F0} s of load ({saturated.StartedDuringLoad / r.Saturated.Elapsed.TotalSeconds:N0}/s while Lamina accepted ")
            .Append(Inv, $"{r.Saturated.Throughput:N0}/s), in {saturated.Environments} environments; the last started {saturated.DrainAfterLoad.TotalSeconds:F1} s ")
            .Append(Inv, $"after the load stopped ({saturated.StartRate(r.Saturated.Elapsed):N0} starts/s overall)");
        if (saturated.OverAMinute > 0)
        {
            md.Append(Inv, $"; {saturated.OverAMinute:N0} waited a minute or more (a failed first attempt, such as an init over its 10 s limit, ")
                .Append("is retried after 1 minute)");
        }

        md.Append(saturated.NotStarted > 0
            ? string.Create(Inv, $", and {saturated.NotStarted:N0} had not started after {s.DrainTimeout.TotalSeconds:F0} s")
            : "");
        md.Append(". A backlog's waits grow with its length, so these describe a 10-second burst, not a steady state.\n\n");

        md.Append("Method:\n\n");
        md.Append(Inv, $"- One run starts `lamina serve` (fresh data directory in a new temp directory, `--time-scale 1`, SQLite store), creates ")
            .Append(Inv, $"the execution role with IAM `CreateRole` and the function `{AsyncSettings.FunctionName}` with `CreateFunction`: `provided.al2023`, ")
            .Append(Inv, $"128 MB, a stdlib Python bootstrap speaking the Runtime API. Every event is the same {s.PayloadBytes:N0}-byte JSON document; ")
            .Append(Inv, $"sealed in its AES-GCM envelope it is {r.SealedBytes:N0} bytes in the queue.\n");
        md.Append(Inv, $"- Accepting: {s.Workers} closed-loop workers over {s.Connections} keep-alive HTTP/1.1 connections send ")
            .Append("`POST /2015-03-31/functions/NAME/invocations` with `X-Amz-Invocation-Type: Event`, SigV4-signed ahead with Lamina's signer ")
            .Append(Inv, $"(the invocation-type header signed too, as SDKs do; re-signed {r.Resigns} times). Only 202s count. ")
            .Append(Inv, $"{s.Duration.TotalSeconds:F0} s measured, after a warm-up: first bursts of events that hold their environment for 2 s ")
            .Append("(16, 32, 48, then 64, as many as the pollers run at once), until a burst of 64 needs no new environment ")
            .Append(Inv, $"({r.Environments} environments at the end), so the measured phases never create dozens of environments at once on Lamina's ")
            .Append("busy core; then ")
            .Append(Inv, $"{s.Warmup.TotalSeconds:F0} s of the measured load ({r.WarmupEvents:N0} events, discarded) for tiered JIT, and a wait until the ")
            .Append("function has started every warm-up event, so the queue is empty when measuring starts.\n");
        md.Append("- Why accepted/s can exceed the commit floor: Lamina group-commits. Enqueues wait in a bounded channel; one committer takes every ")
            .Append("waiting event (up to 512), inserts them in one transaction and fsyncs once, then answers them all. While one commit waits for ")
            .Append("the disk, the next batch gathers, so on a disk with slow fsyncs one fsync acknowledges many events and accepted/s can go well ")
            .Append("past one-commit-per-row. The queue's other writes (each claim, each completed event) take the same write lock and fsync ")
            .Append("once per transaction. ")
            .Append(r.Ratio >= 1
                ? "In this run acceptance exceeded the floor: batching paid for HTTP, SigV4, IAM and envelope costs and more.\n"
                : string.Create(Inv, $"In this run it stayed below: fsync on this disk is fast (one-writer commit p50 {r.FloorOneWriter.Latency.P50:F2} ms), ") +
                  string.Create(Inv, $"so commits were not the limit; CPU was. Lamina and the function's environments share its core, which was ") +
                  string.Create(Inv, $"{r.SaturatedBusy:P0} busy, {Cores(r.Saturated.ServerCpu)} of it in the `lamina` process (HTTP, SigV4, IAM, ") +
                  "sealing, committing, and running the backlog through the Runtime API at the same time).\n");
        md.Append(Inv, $"- Commit floor, measured in the same run while Lamina is idle: a new database in a directory beside Lamina's data directory ")
            .Append(Inv, $"({r.FileSystem}) with `SqliteStore`'s settings (8 KB pages, WAL, `synchronous=FULL`, foreign keys, pooled connections, ")
            .Append("`BEGIN IMMEDIATE`, one in-process write lock) and the `async_events` table from `004_async.sql`; each transaction inserts one row ")
            .Append(Inv, $"with a {r.SealedBytes:N0}-byte payload. {s.FloorDuration.TotalSeconds:F0} s with 1 writer, then {s.FloorDuration.TotalSeconds:F0} s ")
            .Append(Inv, $"with {r.FloorConcurrent.Writers} writers on their own connections behind the one lock, as Lamina serializes its writers: concurrency ")
            .Append("alone does not raise the rate, because every transaction still waits for its own fsync of the WAL. It runs in the client process; ")
            .Append("an fsync costs the same from either CPU.\n");
        md.Append(Inv, $"- Enqueue-to-start, paced phase: the workers share a schedule of {s.PacedRate:N0} sends/s for {s.PacedDuration.TotalSeconds:F0} s ")
            .Append("(an open loop while answers take less than workers ÷ rate), well below what the function can start, so the queue stays near empty. ")
            .Append("The client notes the host's wall clock when it has read each 202 and keeps the request id from `x-amzn-RequestId`; the bootstrap ")
            .Append("reads `time.time()` as soon as `/next` returns and reports it with the `Lambda-Runtime-Aws-Request-Id` (the same id) to a sink. ")
            .Append("Both clocks are the host's (sandboxes get no time namespace). ")
            .Append("Cold starts are told apart by the bootstrap counting the events of its environment: an environment's first event is cold, ")
            .Append("shown in its own row and left out of the warm row. Events are warm in practice because the warm-up created the environments.\n");
        md.Append(Inv, $"- The sink (`bench/async_sink.py`) runs in its own network namespace on a veth pair ({SinkNamespace.HostAddress}/30 ↔ ")
            .Append(Inv, $"{SinkNamespace.Address}): sandboxes cannot connect to host addresses, but with egress they reach other networks. The start is seen ")
            .Append("without reading any of Lamina's records. The bootstrap reports before answering each event, which adds about one loopback round ")
            .Append("trip to the function's own work.\n");
        md.Append(Inv, $"- CPU pinning: Lamina runs under `taskset -c {(s.ServerCpus.Length > 0 ? s.ServerCpus : "(none)")}`, and its sandboxes inherit it; ")
            .Append(Inv, $"the client, the sink and the SQLite floor run on CPU(s) {m.ClientCpus}. Lamina CPU is the `lamina` process's CPU time over ")
            .Append("wall time (1.00 = one core busy), sandboxes not included.\n");
        md.Append(Inv, $"- Integrity: {r.Duplicates} duplicate start report(s) over the run (delivery is at least once), ")
            .Append(Inv, $"{r.PacedStarts.NotStarted + r.SaturatedStarts.NotStarted} accepted event(s) never started, {r.TotalErrors} failed request(s).\n");
        return md.ToString();
    }

    private static void Accepted(StringBuilder md, string what, LoadResult load, double busy) =>
        md.Append(Inv, $"| {what} | {load.Throughput:N0} | {load.Latency.P50:F2} | {load.Latency.P90:F2} | {load.Latency.P99:F2} | ")
            .Append(Inv, $"{Cores(load.ServerCpu)} | {busy:P0} | {Cores(load.ClientCpu)} |\n");

    private static void Floor(StringBuilder md, string what, FloorResult floor) =>
        md.Append(Inv, $"| {what} | {floor.Rate:N0} | {floor.Latency.P50:F2} | {floor.Latency.P90:F2} | {floor.Latency.P99:F2} | | | |\n");

    private static void Starts(StringBuilder md, string phase, int events, int started, LatencySummary latency) =>
        md.Append(Inv, $"| {phase} | {events:N0} | {started:N0} | {latency.P50:F2} | {latency.P90:F2} | {latency.P99:F2} | {latency.Max:F2} |\n");

    private static string Cores(double? value) => value is { } v ? v.ToString("F2", Inv) : "";
}
