// Records the checkpoint updates @aws/durable-execution-sdk-js makes for the reference workflow in
// JsParityTests.cs, against a minimal in-memory service, so the C# SDK's updates can be compared with them.
// Run: node record-js-updates.mjs <path to @aws/durable-execution-sdk-js> > js-updates.json
// (the package is installed by tests/e2e: npm ci there, then pass tests/e2e/node_modules/@aws/durable-execution-sdk-js).
import { pathToFileURL } from "node:url";
import path from "node:path";

const sdkDir = process.argv[2];
const sdk = await import(pathToFileURL(path.join(sdkDir, "dist/index.mjs")).href);
const { withDurableExecution } = sdk;

const updates = [];
const ops = new Map();
let token = 0;
const now = () => new Date("2026-01-01T00:00:00Z");

function apply(u) {
  const prev = ops.get(u.Id);
  const op = prev ? { ...prev } : { Id: u.Id, ParentId: u.ParentId, Name: u.Name, Type: u.Type, SubType: u.SubType, StartTimestamp: now() };
  switch (`${u.Type}:${u.Action}`) {
    case "STEP:START": op.Status = "STARTED"; break;
    case "STEP:SUCCEED": op.Status = "SUCCEEDED"; op.StepDetails = { Attempt: (op.StepDetails?.Attempt ?? 0) + 1, Result: u.Payload }; break;
    case "STEP:FAIL": op.Status = "FAILED"; op.StepDetails = { Attempt: (op.StepDetails?.Attempt ?? 0) + 1, Error: u.Error }; break;
    case "STEP:RETRY": op.Status = "PENDING"; op.StepDetails = { Attempt: (op.StepDetails?.Attempt ?? 0) + 1, Result: u.Payload, Error: u.Error }; break;
    case "CONTEXT:START": op.Status = "STARTED"; break;
    case "CONTEXT:SUCCEED": op.Status = "SUCCEEDED"; op.ContextDetails = { Result: u.Payload, ReplayChildren: u.ContextOptions?.ReplayChildren }; break;
    case "CONTEXT:FAIL": op.Status = "FAILED"; op.ContextDetails = { Error: u.Error }; break;
    case "WAIT:START": op.Status = "STARTED"; op.WaitDetails = { ScheduledEndTimestamp: new Date(now().getTime() + 3600_000) }; break;
    case "CALLBACK:START": op.Status = "STARTED"; op.CallbackDetails = { CallbackId: `cb${u.Id}` }; break;
    case "CHAINED_INVOKE:START": op.Status = "STARTED"; break;
    default: throw new Error(`unexpected ${u.Type}:${u.Action}`);
  }
  ops.set(u.Id, op);
  return op;
}

const client = {
  async checkpoint(params) {
    const touched = [];
    for (const u of params.Updates ?? []) {
      updates.push(u);
      touched.push(apply(u));
    }
    return { CheckpointToken: `t${++token}`, NewExecutionState: { Operations: touched } };
  },
  async getExecutionState() {
    return { Operations: [] };
  },
};

const handler = withDurableExecution(async (event, ctx) => {
  const fetched = await ctx.step("fetch", async () => ({ v: event.n }));
  await ctx.runInChildContext("child", async (child) => child.step("inner", async () => fetched.v + 1));
  await ctx.step(async () => "unnamed");
  await ctx.parallel("par", [
    async (c) => c.step("p1", async () => 1),
    { name: "named", func: async (c) => c.step(async () => 2) },
  ]);
  await ctx.map("mp", [10, 20], async (c, item) => c.step("m", async () => item * 2));
  await ctx.waitForCondition("cond", async (s) => s + 1, {
    initialState: 0,
    waitStrategy: (s) => (s >= 1 ? { shouldContinue: false } : { shouldContinue: true, delay: { seconds: 1 } }),
  });
  await ctx.parallel("suspend", [
    async (c) => { await c.wait("w", { seconds: 2 }); return "w"; },
    async (c) => c.waitForCallback("approve", async () => {}, { timeout: { seconds: 60 } }),
    async (c) => c.invoke("inv", "target:1", { x: 1 }),
    async (c) => { const [p] = await c.createCallback("cb", { timeout: { seconds: 30 }, heartbeatTimeout: { seconds: 10 } }); return p; },
  ]);
  return "done";
}, { durableExecutionClient: client });

const arn = "arn:aws:lambda:us-east-1:123456789012:function:parity:1/durable-execution/run/abc";
const output = await handler({
  DurableExecutionArn: arn,
  CheckpointToken: "t0",
  InitialExecutionState: {
    Operations: [{ Id: "exec", Type: "EXECUTION", Status: "STARTED", StartTimestamp: now().toISOString(),
      ExecutionDetails: { InputPayload: JSON.stringify({ n: 41 }) } }],
  },
}, { awsRequestId: "r1", getRemainingTimeInMillis: () => 600_000 });

const shape = updates.map((u) => {
  const o = { Id: u.Id, ParentId: u.ParentId, Name: u.Name, Type: u.Type, SubType: u.SubType, Action: u.Action, Payload: u.Payload };
  for (const k of ["Error", "ContextOptions", "StepOptions", "WaitOptions", "CallbackOptions", "ChainedInvokeOptions"]) {
    if (u[k] !== undefined) o[k] = u[k];
  }
  return JSON.parse(JSON.stringify(o));
});
console.log(JSON.stringify({ output, updates: shape }, null, 1));
