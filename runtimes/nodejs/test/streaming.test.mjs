// Response streaming: awslambda.streamifyResponse and HttpResponseStream.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { startRuntime } from './fake-runtime-api.mjs';

const HANDLER = `
const { pipeline } = require('node:stream/promises');
const { Readable } = require('node:stream');
exports.handler = awslambda.streamifyResponse(async (event, responseStream, context) => {
  switch (event.case) {
    case 'plain':
      responseStream.write('hello ');
      responseStream.write(Buffer.from('world'));
      responseStream.end();
      return;
    case 'typed':
      responseStream.setContentType('text/plain');
      await pipeline(Readable.from(['a', 'b', 'c']), responseStream);
      return;
    case 'url':
      responseStream = awslambda.HttpResponseStream.from(responseStream, {
        statusCode: 201,
        headers: { 'x-custom': '1' },
        cookies: ['a=b'],
      });
      responseStream.write('{"created":true}');
      responseStream.end();
      return;
    case 'midStreamError':
      responseStream.write('partial');
      await new Promise((resolve) => setTimeout(resolve, 20));
      throw new TypeError('stream broke');
    case 'slow':
      responseStream.write('first ');
      await new Promise((resolve) => setTimeout(resolve, 400));
      responseStream.end('second');
      return;
    case 'unfinished':
      responseStream.write('never ended');
      return;
    case 'context':
      responseStream.end(JSON.stringify({ id: context.awsRequestId, left: context.getRemainingTimeInMillis() > 0 }));
      return;
  }
});`;

async function withStreamingRuntime(fn) {
  const runtime = await startRuntime({ files: { 'index.js': HANDLER } });
  try {
    return await fn(runtime.api);
  } finally {
    await runtime.stop();
  }
}

function decodeTrailerBody(answer) {
  return JSON.parse(Buffer.from(answer.trailers['lambda-runtime-function-error-body'], 'base64').toString('utf8'));
}

describe('response streaming', { timeout: 30_000 }, () => {
  test('headers, chunked body, default content type, and context', async () => {
    await withStreamingRuntime(async (api) => {
      const answer = await api.invoke({ case: 'plain' });
      assert.equal(answer.kind, 'response');
      assert.equal(answer.headers['lambda-runtime-function-response-mode'], 'streaming');
      assert.equal(answer.headers['transfer-encoding'], 'chunked');
      assert.equal(answer.headers.trailer, 'Lambda-Runtime-Function-Error-Type, Lambda-Runtime-Function-Error-Body');
      assert.equal(answer.headers['content-type'], 'application/octet-stream');
      assert.equal(answer.body.toString(), 'hello world');
      assert.deepEqual(answer.trailers, {});

      const typed = await api.invoke({ case: 'typed' });
      assert.equal(typed.headers['content-type'], 'text/plain');
      assert.equal(typed.body.toString(), 'abc');

      const context = await api.invoke({ case: 'context' }, { 'lambda-runtime-aws-request-id': 'stream-1' });
      assert.deepEqual(JSON.parse(context.body), { id: 'stream-1', left: true });
    });
  });

  test('bytes reach the API as they are written, not when the handler ends', async () => {
    await withStreamingRuntime(async (api) => {
      const answer = await api.invoke({ case: 'slow' });
      assert.equal(answer.body.toString(), 'first second');
      assert.ok(answer.endAt - answer.firstChunkAt >= 200, `first bytes ${answer.endAt - answer.firstChunkAt} ms before the end`);
    });
  });

  test('HttpResponseStream.from writes the JSON prelude and 8 NUL bytes first', async () => {
    await withStreamingRuntime(async (api) => {
      const answer = await api.invoke({ case: 'url' });
      assert.equal(answer.headers['content-type'], 'application/vnd.awslambda.http-integration-response');
      const prelude = JSON.stringify({ statusCode: 201, headers: { 'x-custom': '1' }, cookies: ['a=b'] });
      const expected = Buffer.concat([Buffer.from(prelude), Buffer.alloc(8), Buffer.from('{"created":true}')]);
      assert.deepEqual(answer.body, expected);
    });
  });

  test('an error after the first bytes ends the stream with error trailers', async () => {
    await withStreamingRuntime(async (api) => {
      const answer = await api.invoke({ case: 'midStreamError' });
      assert.equal(answer.kind, 'response');
      assert.equal(answer.body.toString(), 'partial');
      assert.equal(answer.trailers['lambda-runtime-function-error-type'], 'TypeError');
      const body = decodeTrailerBody(answer);
      assert.deepEqual(Object.keys(body), ['errorType', 'errorMessage', 'trace']);
      assert.equal(body.errorType, 'TypeError');
      assert.equal(body.errorMessage, 'stream broke');

      const unfinished = await api.invoke({ case: 'unfinished' });
      assert.equal(unfinished.body.toString(), 'never ended');
      assert.equal(unfinished.trailers['lambda-runtime-function-error-type'], 'string');
      assert.equal(decodeTrailerBody(unfinished).errorMessage, 'Response stream is not finished.');

      assert.equal((await api.invoke({ case: 'plain' })).body.toString(), 'hello world', 'the runtime carries on');
    });
  });
});
