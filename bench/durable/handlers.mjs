// The durable handler the benchmark measures, written against the official @aws/durable-execution-sdk-js.
// Lamina runs it as a deployed function (Handler "handlers.workload"); local-runner.mjs runs the very same
// export under the SDK testing package's LocalDurableTestRunner. One export for both workloads keeps one
// warm pool of execution environments in Lamina.
import { withDurableExecution } from '@aws/durable-execution-sdk-js';

export const workload = withDurableExecution(async (event, context) => {
  if (event.kind === 'wait') {
    // The wait's scheduled end comes from the history (WaitStarted.ScheduledEndTimestamp); this step
    // records when user code ran again after it (epoch ms).
    await context.wait({ seconds: event.seconds });
    const resumedAt = await context.step('resumed', async () => Date.now());
    return { resumedAt };
  }

  // event.n sequential steps with small results: one checkpoint per step (the SDK sends a step's START
  // and SUCCEED in one CheckpointDurableExecution call).
  let sum = 0;
  for (let i = 0; i < event.n; i++) {
    sum += await context.step(`s${i}`, async () => i);
  }
  return { n: event.n, sum };
});
