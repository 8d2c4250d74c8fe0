// The same handler as Lamina runs (handlers.mjs), under @aws/durable-execution-sdk-js-testing's
// LocalDurableTestRunner with real timers. Called by the C# harness (bench/run.sh durable) once per
// phase; prints one JSON object with raw timings, which the harness summarizes like Lamina's.
//   node local-runner.mjs '{"phase":"steps","n":100,"rounds":5}'
//   node local-runner.mjs '{"phase":"concurrent","executions":64,"n":20,"warmupN":1}'
//   node local-runner.mjs '{"phase":"waits","executions":128,"staggerMs":2000,"seconds":[1,2]}'
import { LocalDurableTestRunner } from '@aws/durable-execution-sdk-js-testing';
import { workload } from './handlers.mjs';

const settings = JSON.parse(process.argv[2] ?? '{}');

async function run(payload) {
  const started = performance.now();
  const result = await new LocalDurableTestRunner({ handlerFunction: workload }).run({ payload });
  const ms = performance.now() - started;
  if (result.getStatus() !== 'SUCCEEDED') {
    throw new Error(`execution ended ${result.getStatus()}: ${JSON.stringify(result.getError())}`);
  }
  return { ms, result };
}

// History timestamps arrive as Date objects here (ISO strings once serialized).
const epochMs = (t) => (t instanceof Date ? t.getTime() : typeof t === 'number' ? t * 1000 : Date.parse(t));

async function steps() {
  // Warm-up: the first execution pays for module loading and JIT.
  await run({ kind: 'steps', n: settings.n });
  const rounds = [];
  for (let r = 0; r < settings.rounds; r++) {
    const base = await run({ kind: 'steps', n: 0 });
    const full = await run({ kind: 'steps', n: settings.n });
    rounds.push({ baseMs: base.ms, fullMs: full.ms });
  }
  return { n: settings.n, rounds };
}

async function concurrent() {
  await Promise.all(Array.from({ length: settings.executions }, () => run({ kind: 'steps', n: settings.warmupN })));
  const started = performance.now();
  const runs = await Promise.all(Array.from({ length: settings.executions }, () => run({ kind: 'steps', n: settings.n })));
  return { executions: settings.executions, n: settings.n, wallMs: performance.now() - started, executionMs: runs.map((x) => x.ms) };
}

async function waits() {
  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
  const samples = await Promise.all(Array.from({ length: settings.executions }, async (_, i) => {
    await sleep((settings.staggerMs * i) / settings.executions);
    const seconds = settings.seconds[i % settings.seconds.length];
    const { result } = await run({ kind: 'wait', seconds });
    const events = result.getHistoryEvents();
    const started = events.find((e) => e.EventType === 'WaitStarted');
    const succeeded = events.find((e) => e.EventType === 'WaitSucceeded');
    return {
      seconds,
      scheduledEndMs: epochMs(started.WaitStartedDetails.ScheduledEndTimestamp),
      firedMs: epochMs(succeeded.EventTimestamp),
      resumedMs: result.getResult().resumedAt,
    };
  }));
  return { samples };
}

await LocalDurableTestRunner.setupTestEnvironment({ skipTime: false });
const phases = { steps, concurrent, waits };
const output = await phases[settings.phase]();
await LocalDurableTestRunner.teardownTestEnvironment();
process.stdout.write(JSON.stringify(output) + '\n');
