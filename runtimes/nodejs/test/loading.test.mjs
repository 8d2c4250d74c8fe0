// Handler resolution and init errors.

import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { json, RUNTIME_DIR, startRuntime } from './fake-runtime-api.mjs';

/** Starts a runtime, invokes it once, and returns the answer's JSON body. */
async function invokeOnce(options, event = {}) {
  const runtime = await startRuntime(options);
  try {
    const answer = await runtime.api.invoke(event);
    assert.equal(answer.kind, 'response', answer.body.toString());
    return json(answer);
  } finally {
    await runtime.stop();
  }
}

/** Starts a runtime whose handler cannot load; returns the /init/error post and the exit code. */
async function initFailure(options) {
  const runtime = await startRuntime(options);
  try {
    const posted = await runtime.api.initError;
    const exitCode = await runtime.exited;
    return { ...posted, exitCode, stdout: runtime.output() };
  } finally {
    await runtime.stop();
  }
}

describe('handler resolution', { timeout: 20_000 }, () => {
  test('CommonJS index.js', async () => {
    const body = await invokeOnce({ files: { 'index.js': 'exports.handler = async (e) => ({ got: e.n });' } }, { n: 1 });
    assert.deepEqual(body, { got: 1 });
  });

  test('ES module index.mjs', async () => {
    const body = await invokeOnce({ files: { 'index.mjs': 'export const handler = async () => "esm";' } });
    assert.equal(body, 'esm');
  });

  test('.js is an ES module under package.json "type":"module"', async () => {
    const body = await invokeOnce({
      files: {
        'package.json': '{"type":"module"}',
        'index.js': 'export const handler = async () => typeof require;',
      },
    });
    assert.equal(body, 'undefined');
  });

  test('.cjs file', async () => {
    const body = await invokeOnce({ files: { 'app.cjs': 'module.exports.run = async () => "cjs";' }, handler: 'app.run' });
    assert.equal(body, 'cjs');
  });

  test('nested directory and nested export path', async () => {
    const body = await invokeOnce({
      files: { 'src/handlers/app.js': 'exports.api = { v1: { get: async () => __filename } };' },
      handler: 'src/handlers/app.api.v1.get',
    });
    assert.match(body, /src\/handlers\/app\.js$/);
  });

  test('export found under default', async () => {
    const body = await invokeOnce({ files: { 'index.mjs': 'export default { handler: async () => "from default" };' } });
    assert.equal(body, 'from default');
  });

  test('module found through NODE_PATH (a layer) when the task root has no such file', async () => {
    const body = await invokeOnce({
      files: { 'opt/nodejs/node_modules/shared/index.js': 'exports.handler = async () => "layer";' },
      handler: 'shared.handler',
    });
    assert.equal(body, 'layer');
  });

  test('ES module imports a package from NODE_PATH', async () => {
    const body = await invokeOnce({
      files: {
        'opt/nodejs/node_modules/greeter/package.json': '{"name":"greeter","type":"module","exports":"./main.js"}',
        'opt/nodejs/node_modules/greeter/main.js': 'export const greet = (n) => `hello ${n}`;',
        'index.mjs': 'import { greet } from "greeter"; export const handler = async () => greet("layer");',
      },
    });
    assert.equal(body, 'hello layer');
  });

  test('bundled @aws-sdk/client-lambda imports from ESM and requires from CommonJS', { skip: !existsSync(path.join(RUNTIME_DIR, 'node_modules/@aws-sdk/client-lambda')) && 'run npm ci in runtimes/nodejs' }, async () => {
    const body = await invokeOnce({
      files: {
        'index.mjs': [
          'import { LambdaClient } from "@aws-sdk/client-lambda";',
          'import { createRequire } from "node:module";',
          'const required = createRequire(import.meta.url)("@aws-sdk/client-lambda");',
          'export const handler = async () => [typeof LambdaClient, required.LambdaClient === LambdaClient];',
        ].join('\n'),
      },
    });
    assert.deepEqual(body, ['function', true]);
  });
});

describe('init errors go to /init/error with the type header, then exit 1', { timeout: 20_000 }, () => {
  const cases = [
    {
      name: 'missing module',
      options: { files: {}, handler: 'missing.handler' },
      type: 'Runtime.ImportModuleError',
      message: /^Error: Cannot find module 'missing'/,
    },
    {
      name: 'missing dependency of an ES module',
      options: { files: { 'index.mjs': 'import "not-installed"; export const handler = 1;' } },
      type: 'Runtime.ImportModuleError',
      message: /Cannot find package 'not-installed'/,
    },
    {
      name: 'syntax error',
      options: { files: { 'index.js': 'exports.handler = async () => {;' } },
      type: 'Runtime.UserCodeSyntaxError',
      message: /^SyntaxError: /,
    },
    {
      name: 'export missing',
      options: { files: { 'index.js': 'exports.other = () => 1;' } },
      type: 'Runtime.HandlerNotFound',
      message: /^index\.handler is undefined or not exported$/,
    },
    {
      name: 'export not a function',
      options: { files: { 'index.js': 'exports.handler = 42;' } },
      type: 'Runtime.HandlerNotFound',
      message: /^index\.handler is not a function$/,
    },
    {
      name: 'handler without a dot',
      options: { files: { 'index.js': '' }, handler: 'index' },
      type: 'Runtime.MalformedHandlerName',
      message: /^Bad handler$/,
    },
    {
      name: 'handler with ..',
      options: { files: {}, handler: '../etc/passwd.handler' },
      type: 'Runtime.MalformedHandlerName',
      message: /^'\.\.\/etc\/passwd\.handler' is not a valid handler name\. Use absolute paths/,
    },
    {
      name: 'module throws while loading',
      options: { files: { 'index.js': 'throw new TypeError("bad config");' } },
      type: 'TypeError',
      message: /^bad config$/,
    },
  ];

  for (const { name, options, type, message } of cases) {
    test(name, async () => {
      const failure = await initFailure(options);
      assert.equal(failure.headers['lambda-runtime-function-error-type'], type);
      assert.deepEqual(Object.keys(failure.body), ['errorType', 'errorMessage', 'trace']);
      assert.equal(failure.body.errorType, type);
      assert.match(failure.body.errorMessage, message);
      assert.ok(Array.isArray(failure.body.trace) && failure.body.trace.length > 0);
      assert.equal(failure.exitCode, 1);
      assert.match(failure.stdout, new RegExp(`\\tundefined\\tERROR\\tUncaught Exception \\t\\{"errorType":"${type.replace('.', '\\.')}"`));
    });
  }
});
