// The programming model: results, errors, callbacks, context, and the connection to the API.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { json, startRuntime } from './fake-runtime-api.mjs';

/** Runs `fn(runtime)` against a runtime serving `source` as index.js. */
async function withRuntime(source, fn, options = {}) {
  const runtime = await startRuntime({ files: { 'index.js': source }, ...options });
  try {
    return await fn(runtime);
  } finally {
    await runtime.stop();
  }
}

async function answerTo(source, event = {}, headers = {}) {
  return withRuntime(source, (runtime) => runtime.api.invoke(event, headers));
}

function assertErrorShape(answer, errorType, errorMessage) {
  assert.equal(answer.kind, 'error');
  const body = json(answer);
  assert.deepEqual(Object.keys(body), ['errorType', 'errorMessage', 'trace']);
  assert.equal(body.errorType, errorType);
  assert.equal(body.errorMessage, errorMessage);
  assert.ok(Array.isArray(body.trace));
  assert.equal(answer.headers['lambda-runtime-function-error-type'], undefined, 'the Node client sends no type header');
  return body;
}

describe('results', { timeout: 30_000 }, () => {
  test('async handler: undefined, string, object', async () => {
    await withRuntime('exports.handler = async (e) => e.value;', async ({ api }) => {
      assert.equal((await api.invoke({})).body.toString(), 'null');
      assert.equal((await api.invoke({ value: 'text' })).body.toString(), '"text"');
      const answer = await api.invoke({ value: { a: [1, 2], b: null } });
      assert.equal(answer.kind, 'response');
      assert.equal(answer.headers['content-type'], 'application/json');
      assert.deepEqual(json(answer), { a: [1, 2], b: null });
    });
  });

  test('callback handler and context.succeed / done / fail', async () => {
    const source = `exports.handler = (e, context, callback) => {
      if (e.how === 'callback') callback(null, 'cb');
      if (e.how === 'succeed') context.succeed('ok');
      if (e.how === 'done') context.done(null, 'done');
      if (e.how === 'fail') context.fail(new Error('nope'));
      if (e.how === 'failEmpty') context.fail();
    };`;
    await withRuntime(source, async ({ api }) => {
      assert.equal(json(await api.invoke({ how: 'callback' })), 'cb');
      assert.equal(json(await api.invoke({ how: 'succeed' })), 'ok');
      assert.equal(json(await api.invoke({ how: 'done' })), 'done');
      assertErrorShape(await api.invoke({ how: 'fail' }), 'Error', 'nope');
      assertErrorShape(await api.invoke({ how: 'failEmpty' }), 'string', 'handled');
    });
  });

  test('only the first completion counts', async () => {
    const answer = await answerTo(`exports.handler = async (e, context, callback) => {
      context.callbackWaitsForEmptyEventLoop = false;
      callback(null, 'first');
      context.succeed('second');
      return 'third';
    };`);
    assert.equal(json(answer), 'first');
  });

  test('a plain handler that returns a value without calling back answers null', async () => {
    assert.equal((await answerTo('exports.handler = () => 42;')).body.toString(), 'null');
  });

  test('an async handler whose promise never settles fails with Runtime.NodeJsExit', async () => {
    const answer = await answerTo('exports.handler = async () => new Promise(() => {});');
    assert.equal(json(answer).errorType, 'Runtime.NodeJsExit');
  });

  test('a result that cannot be serialised is a function error', async () => {
    const answer = await answerTo('exports.handler = async () => { const a = {}; a.self = a; return a; };');
    assertErrorShape(answer, 'Error', 'Unable to stringify response body');
  });

  test('a 5 MB result', async () => {
    const answer = await answerTo('exports.handler = async () => "x".repeat(5 * 1024 * 1024);');
    assert.equal(answer.kind, 'response');
    assert.equal(answer.body.length, 5 * 1024 * 1024 + 2);
  });
});

describe('callbackWaitsForEmptyEventLoop', { timeout: 30_000 }, () => {
  const source = `exports.handler = (e, context, callback) => {
    if (e.warmUp) return callback(null, 'warm');
    context.callbackWaitsForEmptyEventLoop = e.wait;
    setTimeout(() => console.log('timer fired'), 600);
    callback(null, 'done');
  };`;

  /** Time from the event to the answer, measured on a warm runtime so start-up does not count. */
  async function timedInvoke(runtime, event) {
    await runtime.api.invoke({ warmUp: true });
    const started = Date.now();
    const answer = await runtime.api.invoke(event);
    assert.equal(json(answer), 'done');
    return Date.now() - started;
  }

  test('true (default): the callback result is sent once the event loop is empty', async () => {
    await withRuntime(source, async (runtime) => {
      const elapsed = await timedInvoke(runtime, { wait: true });
      assert.ok(elapsed >= 590, `answered after ${elapsed} ms, before the timer`);
      assert.match(await runtime.outputContaining('timer fired'), /INFO\ttimer fired/);
    });
  });

  test('false: the callback result is sent at once', async () => {
    await withRuntime(source, async (runtime) => {
      const elapsed = await timedInvoke(runtime, { wait: false });
      assert.ok(elapsed < 500, `answered after ${elapsed} ms`);
      assert.doesNotMatch(runtime.output(), /timer fired/);
    });
  });
});

describe('errors', { timeout: 30_000 }, () => {
  test('thrown error: body shape, no type header, X-Ray cause, logged as Invoke Error', async () => {
    await withRuntime('exports.handler = async () => { throw new RangeError("out of range"); };', async (runtime) => {
      const answer = await runtime.api.invoke({});
      const body = assertErrorShape(answer, 'RangeError', 'out of range');
      assert.equal(body.trace[0], 'RangeError: out of range');
      assert.match(body.trace[1], /^ {4}at .*index\.js:1:\d+/);
      const cause = JSON.parse(answer.headers['lambda-runtime-function-xray-error-cause']);
      assert.equal(cause.exceptions[0].type, 'RangeError');
      assert.equal(cause.exceptions[0].message, 'out of range');
      assert.ok(cause.paths.some((p) => p.endsWith('/index.js')));
      const log = await runtime.outputContaining('Invoke Error');
      assert.match(log, /\tERROR\tInvoke Error \t\{"errorType":"RangeError","errorMessage":"out of range","stack":\["RangeError: out of range",/);
    });
  });

  test('synchronous throw, rejected string, callback with a string', async () => {
    assertErrorShape(await answerTo('exports.handler = () => { throw new Error("sync"); };'), 'Error', 'sync');
    assertErrorShape(await answerTo('exports.handler = async () => Promise.reject("just text");'), 'string', 'just text');
    assertErrorShape(await answerTo('exports.handler = (e, c, cb) => cb("bad");'), 'string', 'bad');
  });

  test('a custom error name becomes the errorType', async () => {
    const answer = await answerTo(`class NotFound extends Error { name = 'NotFound'; }
      exports.handler = async () => { throw new NotFound('no such item'); };`);
    assertErrorShape(answer, 'NotFound', 'no such item');
  });

  test('uncaught exception during an invoke is reported, then the runtime exits 129', async () => {
    await withRuntime('exports.handler = async () => { setTimeout(() => { throw new TypeError("late"); }, 10); await new Promise((r) => setTimeout(r, 1000)); };', async (runtime) => {
      const answer = await runtime.api.invoke({});
      assertErrorShape(answer, 'TypeError', 'late');
      assert.equal(await runtime.exited, 129);
      assert.match(runtime.output(), /\tERROR\tUncaught Exception \t\{"errorType":"TypeError"/);
    });
  });

  test('unhandled rejection during an invoke is reported, then the runtime exits 128', async () => {
    await withRuntime('exports.handler = (e, c, cb) => { Promise.reject(new Error("lost")); setTimeout(cb, 1000); };', async (runtime) => {
      const answer = await runtime.api.invoke({});
      assertErrorShape(answer, 'Runtime.UnhandledPromiseRejection', 'Error: lost');
      assert.equal(await runtime.exited, 128);
    });
  });
});

describe('context and environment', { timeout: 30_000 }, () => {
  test('context fields, remaining time, client context, Cognito identity, trace id', async () => {
    const source = `exports.handler = async (e, context) => ({
      awsRequestId: context.awsRequestId,
      invokedFunctionArn: context.invokedFunctionArn,
      functionName: context.functionName,
      functionVersion: context.functionVersion,
      memoryLimitInMB: context.memoryLimitInMB,
      logGroupName: context.logGroupName,
      logStreamName: context.logStreamName,
      identity: context.identity,
      clientContext: context.clientContext,
      remaining: context.getRemainingTimeInMillis(),
      waits: context.callbackWaitsForEmptyEventLoop,
      traceId: process.env._X_AMZN_TRACE_ID ?? null,
      executionEnv: process.env.AWS_EXECUTION_ENV,
    });`;
    await withRuntime(source, async ({ api }) => {
      const clientContext = { client: { installation_id: 'i-1', app_title: 'App' }, custom: { k: 'v' }, env: { platform: 'test' } };
      const identity = { cognitoIdentityId: 'us-east-1:abc', cognitoIdentityPoolId: 'us-east-1:pool' };
      const first = json(await api.invoke({}, {
        'lambda-runtime-aws-request-id': 'req-1',
        'lambda-runtime-deadline-ms': String(Date.now() + 60_000),
        'lambda-runtime-invoked-function-arn': 'arn:aws:lambda:us-east-1:000000000000:function:test:live',
        'lambda-runtime-trace-id': 'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1',
        'lambda-runtime-client-context': JSON.stringify(clientContext),
        'lambda-runtime-cognito-identity': JSON.stringify(identity),
      }));
      assert.equal(first.awsRequestId, 'req-1');
      assert.equal(first.invokedFunctionArn, 'arn:aws:lambda:us-east-1:000000000000:function:test:live');
      assert.equal(first.functionName, 'test');
      assert.equal(first.functionVersion, '$LATEST');
      assert.equal(first.memoryLimitInMB, '256');
      assert.equal(first.logGroupName, '/aws/lambda/test');
      assert.equal(first.logStreamName, '2025/01/01/[$LATEST]0123456789abcdef0123456789abcdef');
      assert.deepEqual(first.identity, identity);
      assert.deepEqual(first.clientContext, clientContext);
      assert.ok(first.remaining > 50_000 && first.remaining <= 60_000, `remaining ${first.remaining}`);
      assert.equal(first.waits, true);
      assert.equal(first.traceId, 'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1');
      assert.match(first.executionEnv, /^AWS_Lambda_nodejs\d+\.x$/);

      const second = json(await api.invoke({}));
      assert.equal(second.traceId, null, 'cleared when the next invoke has no trace header');
      assert.equal(second.identity, undefined);
      assert.equal(second.clientContext, undefined);
    });
  });

  test('a client context that is not JSON fails the invoke', async () => {
    const answer = await answerTo('exports.handler = async () => 1;', {}, { 'lambda-runtime-client-context': '{oops' });
    assert.match(json(answer).errorMessage, /^Cannot parse ClientContext as json: SyntaxError/);
  });
});

describe('connection', { timeout: 30_000 }, () => {
  test('one keep-alive connection serves every call', async () => {
    await withRuntime('exports.handler = async (e) => e.i;', async ({ api }) => {
      for (let i = 0; i < 5; i++) {
        assert.equal(json(await api.invoke({ i })), i);
      }
      assert.equal(api.requests.filter((r) => r.startsWith('POST')).length, 5);
      assert.equal(api.sockets.size, 1);
    });
  });
});
