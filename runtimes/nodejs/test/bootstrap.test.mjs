// The bootstrap script: node flags, AWS_EXECUTION_ENV, NODE_PATH, AWS_LAMBDA_EXEC_WRAPPER.

import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, test } from 'node:test';
import { json, RUNTIME_DIR, startRuntime } from './fake-runtime-api.mjs';

const REPORT = `exports.handler = async () => ({
  execArgv: process.execArgv,
  argv1: process.argv[1],
  gc: typeof gc,
  executionEnv: process.env.AWS_EXECUTION_ENV,
  nodePath: process.env.NODE_PATH,
  wrapped: process.env.WRAPPED ?? null,
});`;

async function report(options) {
  const runtime = await startRuntime({ files: { 'index.js': REPORT, ...options.files }, env: options.env });
  try {
    return json(await runtime.api.invoke({}));
  } finally {
    await runtime.stop();
  }
}

async function exitOf(options) {
  const runtime = await startRuntime({ files: { 'index.js': REPORT, ...options.files }, env: options.env });
  try {
    return { code: await runtime.exited, stdout: runtime.output() };
  } finally {
    await runtime.stop();
  }
}

describe('bootstrap', { timeout: 30_000 }, () => {
  test('AWS flags, heap sized from the memory setting, AWS_EXECUTION_ENV from the node major', async () => {
    const seen = await report({ env: { AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '1024' } });
    assert.deepEqual(seen.execArgv, [
      '--expose-gc',
      '--max-http-header-size',
      '81920',
      '--max-semi-space-size=51',
      '--max-old-space-size=922',
    ]);
    assert.equal(seen.argv1, path.join(RUNTIME_DIR, 'index.mjs'));
    assert.equal(seen.gc, 'function');
    assert.equal(seen.executionEnv, `AWS_Lambda_nodejs${process.versions.node.split('.')[0]}.x`);
  });

  test('heap flags left to the function when NODE_OPTIONS sizes the heap; default NODE_PATH', async () => {
    const seen = await report({ env: { NODE_OPTIONS: '--max-old-space-size=100', NODE_PATH: '' } });
    assert.deepEqual(seen.execArgv, ['--expose-gc', '--max-http-header-size', '81920']);
    const major = process.versions.node.split('.')[0];
    assert.match(seen.nodePath, new RegExp(`^/opt/nodejs/node${major}/node_modules:/opt/nodejs/node_modules:${RUNTIME_DIR}/node_modules:`));
  });

  test('AWS_LAMBDA_EXEC_WRAPPER runs with the node command as its arguments', async () => {
    const seen = await report({
      files: { 'wrapper.sh': '#!/bin/sh\nexport WRAPPED="$1 $#"\nexec "$@"\n' },
      env: (root) => ({ AWS_LAMBDA_EXEC_WRAPPER: `${root}/wrapper.sh` }),
    });
    assert.equal(seen.wrapped, `${process.execPath} 7`);
    assert.equal(seen.argv1, path.join(RUNTIME_DIR, 'index.mjs'));
  });

  test('a missing or non-executable wrapper exits 127 / 126 as on AWS', async () => {
    const missing = await exitOf({ env: { AWS_LAMBDA_EXEC_WRAPPER: '/nonexistent/wrapper' } });
    assert.equal(missing.code, 127);
    assert.equal(missing.stdout, '/nonexistent/wrapper: does not exist\n');
    const plain = await exitOf({
      files: { 'wrapper.txt': '#!/bin/sh\nexec "$@"\n' },
      env: (root) => ({ AWS_LAMBDA_EXEC_WRAPPER: `${root}/wrapper.txt` }),
    });
    assert.equal(plain.code, 126);
    assert.match(plain.stdout, /wrapper\.txt: is not an executable\n$/);
  });
});
