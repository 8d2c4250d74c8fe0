// Durable handlers for Lamina's end-to-end tests, written against the official
// @aws/durable-execution-sdk-js exactly as on AWS. Each export is deployed as its own function
// (Handler "index.<name>"). Lines starting with "RUN " let the tests count how often user code ran.
import {
  withDurableExecution,
  createRetryStrategy,
  StepSemantics,
} from '@aws/durable-execution-sdk-js';

/** Two steps around a wait: replays must not run the first step again. */
export const steps = withDurableExecution(async (event, context) => {
  const a = await context.step('first', async () => {
    console.log('RUN first');
    return event.n + 1;
  });
  await context.wait({ seconds: 1 });
  const b = await context.step('second', async () => {
    console.log('RUN second');
    return a * 2;
  });
  return { a, b };
});

/** A step that fails twice, then succeeds on its third attempt, 1 s apart. */
export const retries = withDurableExecution(async (event, context) => {
  return await context.step('flaky', async (step) => {
    console.log(`RUN flaky attempt ${step.attempt}`);
    if (step.attempt < 3) {
      throw new Error(`flaky failure ${step.attempt}`);
    }
    return { attempts: step.attempt };
  }, {
    retryStrategy: createRetryStrategy({ maxAttempts: 5, initialDelay: { seconds: 1 }, maxDelay: { seconds: 1 }, backoffRate: 1, jitter: 'NONE' }),
  });
});

/** Retries run out; the handler catches the step's error and returns it. */
export const exhausted = withDurableExecution(async (event, context) => {
  try {
    await context.step('doomed', async (step) => {
      console.log(`RUN doomed attempt ${step.attempt}`);
      throw new Error('always fails');
    }, { retryStrategy: (error, attempt) => ({ shouldRetry: attempt < 2, delay: { seconds: 1 } }) });
    return { caught: false };
  } catch (error) {
    return { caught: true, message: error.message };
  }
});

/** An uncaught error fails the execution (no invocation retry). */
export const uncaught = withDurableExecution(async (event, context) => {
  await context.step('fine', async () => 'ok');
  throw new TypeError(`bad input ${event.n}`);
});

/** Waits for an external system to complete a callback (the test does, with the AWS CLI). */
export const callback = withDurableExecution(async (event, context) => {
  const [result, callbackId] = await context.createCallback('approval', {
    timeout: { seconds: event.timeoutSeconds ?? 300 },
    heartbeatTimeout: event.heartbeatSeconds ? { seconds: event.heartbeatSeconds } : undefined,
  });
  console.log(`CALLBACK ${callbackId}`);
  try {
    const value = await result;
    return { outcome: 'completed', value };
  } catch (error) {
    return { outcome: 'error', name: error.name, message: error.message };
  }
});

/** waitForCallback: the submitter step hands the id out; the result comes back as a string. */
export const waitForCallback = withDurableExecution(async (event, context) => {
  const value = await context.waitForCallback('external', async (callbackId) => {
    console.log(`CALLBACK ${callbackId}`);
  }, { timeout: { seconds: 300 } });
  return { value };
});

/** Chained invoke of another (ordinary) function. */
export const chained = withDurableExecution(async (event, context) => {
  const doubled = await context.invoke('double', event.target, { n: event.n });
  return { doubled };
});

/** An ordinary function the chained invoke calls. */
export const double = async (event) => ({ value: event.n * 2 });

/** Child context with a result over the 256 KB checkpoint limit, then parallel and map. */
export const fanout = withDurableExecution(async (event, context) => {
  const big = await context.runInChildContext('big', async (child) => {
    const part = await child.step('part', async () => 'x'.repeat(1000));
    return part.repeat(300);
  });
  const parallel = await context.parallel('branches', [
    async (ctx) => ctx.step('one', async () => 1),
    async (ctx) => { await ctx.wait({ seconds: 1 }); return ctx.step('two', async () => 2); },
  ]);
  const mapped = await context.map('squares', [1, 2, 3, 4], async (ctx, item) => ctx.step(`sq-${item}`, async () => item * item), {
    maxConcurrency: 2,
  });
  return { bigLength: big.length, parallel: parallel.getResults(), mapped: mapped.getResults() };
});

/** Polls a condition: the state counts up each second until it reaches 3. */
export const condition = withDurableExecution(async (event, context) => {
  const final = await context.waitForCondition('count', async (state) => {
    console.log(`RUN check ${state.count}`);
    return { count: state.count + 1 };
  }, {
    initialState: { count: 0 },
    waitStrategy: (state) => (state.count >= 3 ? { shouldContinue: false } : { shouldContinue: true, delay: { seconds: 1 } }),
  });
  return final;
});

/** An at-most-once step that crashes the runtime on its first run: the replay must not run it again. */
export const atMostOnce = withDurableExecution(async (event, context) => {
  try {
    await context.step('charge', async () => {
      console.log('RUN charge');
      if (event.crash) {
        process.exit(3);
      }
      return 'charged';
    }, { semantics: StepSemantics.AtMostOncePerRetry, retryStrategy: () => ({ shouldRetry: false }) });
    return { interrupted: false };
  } catch (error) {
    // The SDK wraps the StepInterruptedError it recorded; its cause carries the original type.
    return { interrupted: true, name: error.name, cause: error.cause?.name };
  }
});

/** Waits longer than the execution timeout (the test sets ExecutionTimeout to 2 s), or until stopped. */
export const slow = withDurableExecution(async (event, context) => {
  await context.wait({ seconds: event.seconds ?? 60 });
  return 'woke';
});

/** A long step and a long wait, for kill -9 tests: a step must never run again once it completed. */
export const survivor = withDurableExecution(async (event, context) => {
  const first = await context.step('before', async () => {
    console.log('RUN before');
    return 1;
  });
  await context.wait({ seconds: event.waitSeconds ?? 3 });
  const second = await context.step('slow-step', async () => {
    console.log('RUN slow-step');
    await new Promise((resolve) => setTimeout(resolve, (event.stepSeconds ?? 2) * 1000));
    return 2;
  });
  return { first, second };
});

/** Reports every step run to a witness outside Lamina (event.sink), for the kill -9 test. */
export const crashy = withDurableExecution(async (event, context) => {
  const report = (step, phase) => fetch(event.sink, {
    method: 'POST',
    body: JSON.stringify({ execution: event.id, step, phase, t: Date.now() }),
  });
  const first = await context.step('before', async () => {
    await report('before', 'start');
    return 1;
  });
  await context.wait({ seconds: event.waitSeconds });
  const second = await context.step('slow-step', async () => {
    await report('slow-step', 'start');
    await new Promise((resolve) => setTimeout(resolve, event.stepSeconds * 1000));
    await report('slow-step', 'end');
    return 2;
  });
  const third = await context.step('after', async () => {
    await report('after', 'start');
    return 3;
  });
  return { id: event.id, sum: first + second + third };
});
