// Console output in Lambda's text and JSON formats.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { startRuntime } from './fake-runtime-api.mjs';

const ISO_TIME = String.raw`\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z`;

const source = `
console.log('loading');
exports.handler = async (event) => {
  console.log('log %s', 'formatted', { n: 1 });
  console.info('info');
  console.warn('warn');
  console.error('error');
  console.debug('debug');
  console.trace('trace');
  console.log('first line\\nsecond line');
  console.info({ structured: true, list: [1, 2] });
  console.error('failed:', new Error('kaput'));
  return 'ok';
};`;

/** Invokes once with request id "req-1" and returns the stdout lines. */
async function logLines(env) {
  const runtime = await startRuntime({ files: { 'index.js': source }, env });
  try {
    await runtime.api.invoke({}, { 'lambda-runtime-aws-request-id': 'req-1' });
    await runtime.outputContaining('kaput');
    return runtime.output().trimEnd().split('\n');
  } finally {
    await runtime.stop();
  }
}

describe('console', { timeout: 30_000 }, () => {
  test('text format: time, request id, level, message; newlines become \\r', async () => {
    const lines = await logLines({});
    const fields = lines.map((line) => line.split('\t'));
    for (const [time] of fields) {
      assert.match(time, new RegExp(`^${ISO_TIME}$`));
    }
    assert.deepEqual(fields[0].slice(1), ['undefined', 'INFO', 'loading']);
    assert.deepEqual(
      fields.slice(1, 8).map((f) => f.slice(1)),
      [
        ['req-1', 'INFO', "log formatted { n: 1 }"],
        ['req-1', 'INFO', 'info'],
        ['req-1', 'WARN', 'warn'],
        ['req-1', 'ERROR', 'error'],
        ['req-1', 'DEBUG', 'debug'],
        ['req-1', 'TRACE', 'trace'],
        ['req-1', 'INFO', 'first line\rsecond line'],
      ],
    );
    assert.equal(fields[8][3], '{ structured: true, list: [ 1, 2 ] }');
    assert.equal(fields[9][2], 'ERROR');
    assert.match(fields[9][3], /^failed: Error: kaput\r {4}at /);
    assert.equal(lines.length, 10);
  });

  test('JSON format: one object per line, a lone object stays structured, errors are expanded', async () => {
    const lines = await logLines({ AWS_LAMBDA_LOG_FORMAT: 'JSON' });
    const records = lines.map((line) => JSON.parse(line));
    for (const record of records) {
      assert.match(record.timestamp, new RegExp(`^${ISO_TIME}$`));
    }
    assert.deepEqual(Object.keys(records[0]), ['timestamp', 'level', 'message'], 'no requestId during init');
    assert.equal(records[0].message, 'loading');
    assert.deepEqual(Object.keys(records[1]), ['timestamp', 'level', 'requestId', 'message']);
    assert.deepEqual(
      records.slice(1, 8).map(({ level, requestId, message }) => [level, requestId, message]),
      [
        ['INFO', 'req-1', 'log formatted { n: 1 }'],
        ['INFO', 'req-1', 'info'],
        ['WARN', 'req-1', 'warn'],
        ['ERROR', 'req-1', 'error'],
        ['DEBUG', 'req-1', 'debug'],
        ['TRACE', 'req-1', 'trace'],
        ['INFO', 'req-1', 'first line\nsecond line'],
      ],
    );
    assert.deepEqual(records[8].message, { structured: true, list: [1, 2] });
    assert.equal(records[9].errorType, 'Error');
    assert.equal(records[9].errorMessage, 'kaput');
    assert.equal(records[9].stackTrace[0], 'Error: kaput');
  });

  test('AWS_LAMBDA_LOG_LEVEL drops lower levels', async () => {
    const records = (await logLines({ AWS_LAMBDA_LOG_FORMAT: 'JSON', AWS_LAMBDA_LOG_LEVEL: 'warn' })).map((l) => JSON.parse(l));
    assert.deepEqual(records.map((r) => r.level), ['WARN', 'ERROR', 'ERROR']);
  });
});
