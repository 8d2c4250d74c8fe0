// A fake Lambda Runtime API for the tests, and a helper that starts the real bootstrap against it.

import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const RUNTIME_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/**
 * Serves /next from a queue of events and records what the runtime posts back. Each `invoke`
 * resolves with the runtime's answer: {kind: 'response'|'error', headers, body, trailers,
 * firstChunkAt, endAt}.
 */
export class FakeRuntimeApi {
  #server = http.createServer((request, response) => this.#route(request, response));
  #events = [];
  #waitingNext = [];
  #pending = new Map();
  #initError = deferred();
  /** Every TCP connection the runtime opened. */
  sockets = new Set();
  /** Every request as "METHOD path", in order. */
  requests = [];

  async start() {
    this.#server.on('connection', (socket) => this.sockets.add(socket));
    await new Promise((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    return `127.0.0.1:${this.#server.address().port}`;
  }

  close() {
    this.#server.closeAllConnections();
    this.#server.close();
  }

  /** The body and headers the runtime posted to /init/error. */
  get initError() {
    return this.#initError.promise;
  }

  invoke(event, headers = {}) {
    const requestId = headers['lambda-runtime-aws-request-id'] ?? randomUUID();
    const answer = deferred();
    this.#pending.set(requestId, answer);
    const body = typeof event === 'string' ? event : JSON.stringify(event);
    const next = {
      body,
      headers: {
        'content-type': 'application/json',
        'lambda-runtime-aws-request-id': requestId,
        'lambda-runtime-deadline-ms': String(Date.now() + 30_000),
        'lambda-runtime-invoked-function-arn': 'arn:aws:lambda:us-east-1:000000000000:function:test',
        ...headers,
      },
    };
    const waiter = this.#waitingNext.shift();
    if (waiter) {
      waiter(next);
    } else {
      this.#events.push(next);
    }
    return answer.promise;
  }

  #route(request, response) {
    this.requests.push(`${request.method} ${request.url}`);
    const chunks = [];
    let firstChunkAt;
    request.on('data', (chunk) => {
      firstChunkAt ??= Date.now();
      chunks.push(chunk);
    });
    request.on('end', () => {
      const body = Buffer.concat(chunks);
      const url = request.url;
      if (request.method === 'GET' && url === '/2018-06-01/runtime/invocation/next') {
        this.#serveNext(response);
        return;
      }
      if (request.method === 'POST' && url === '/2018-06-01/runtime/init/error') {
        this.#initError.resolve({ headers: request.headers, body: JSON.parse(body) });
        accepted(response);
        return;
      }
      const match = /^\/2018-06-01\/runtime\/invocation\/([^/]+)\/(response|error)$/.exec(url);
      const answer = match && this.#pending.get(decodeURIComponent(match[1]));
      if (request.method !== 'POST' || !answer) {
        response.writeHead(400, { 'Content-Type': 'application/json' }).end('{"errorType":"InvalidRequestID"}');
        return;
      }
      this.#pending.delete(decodeURIComponent(match[1]));
      answer.resolve({ kind: match[2], headers: request.headers, trailers: request.trailers, body, firstChunkAt, endAt: Date.now() });
      accepted(response);
    });
  }

  #serveNext(response) {
    const send = (next) => {
      response.writeHead(200, next.headers).end(next.body);
    };
    const next = this.#events.shift();
    if (next) {
      send(next);
    } else {
      this.#waitingNext.push(send);
    }
  }
}

function accepted(response) {
  response.writeHead(202, { 'Content-Type': 'application/json' }).end('{"status":"OK"}');
}

function deferred() {
  let resolve;
  let reject;
  const promise = new Promise((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/**
 * Writes `files` ({relative path: contents}) to a fresh task root, starts a fake API and the
 * bootstrap against them. `env` (an object, or a function of the task root) adds to or overrides
 * the Lambda environment. Returns {api, root, exited, output(), stop()}; `exited` resolves with
 * the exit code, `output()` is stdout so far.
 */
export async function startRuntime({ files = {}, handler = 'index.handler', env = {} } = {}) {
  const root = mkdtempSync(path.join(tmpdir(), 'lamina-node-'));
  for (const [name, contents] of Object.entries(files)) {
    const file = path.join(root, name);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, contents, { mode: name.endsWith('.sh') ? 0o755 : 0o644 });
  }
  const api = new FakeRuntimeApi();
  const endpoint = await api.start();
  const child = spawn('sh', [path.join(RUNTIME_DIR, 'bootstrap')], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      PATH: process.env.PATH,
      LANG: 'en_US.UTF-8',
      TZ: ':UTC',
      _HANDLER: handler,
      _LAMINA_INTERPRETER: process.execPath,
      AWS_LAMBDA_RUNTIME_API: endpoint,
      AWS_LAMBDA_FUNCTION_NAME: 'test',
      AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '256',
      AWS_LAMBDA_LOG_GROUP_NAME: '/aws/lambda/test',
      AWS_LAMBDA_LOG_STREAM_NAME: '2025/01/01/[$LATEST]0123456789abcdef0123456789abcdef',
      AWS_REGION: 'us-east-1',
      LAMBDA_TASK_ROOT: root,
      LAMBDA_RUNTIME_DIR: RUNTIME_DIR,
      NODE_PATH: `${root}/opt/nodejs/node_modules:${RUNTIME_DIR}/node_modules`,
      ...(typeof env === 'function' ? env(root) : env),
    },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (text) => (stdout += text));
  child.stderr.setEncoding('utf8').on('data', (text) => (stderr += text));
  const exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    api,
    root,
    exited,
    output: () => stdout,
    errors: () => stderr,
    /** Resolves with stdout once it contains `text` (the pipe may lag the API by a few ms). */
    async outputContaining(text, timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs;
      while (!stdout.includes(text)) {
        if (Date.now() > deadline) {
          throw new Error(`stdout never contained ${JSON.stringify(text)}:\n${stdout}\nstderr:\n${stderr}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      return stdout;
    },
    async stop() {
      child.kill('SIGKILL');
      await exited;
      api.close();
      rmSync(root, { recursive: true, force: true });
    },
  };
}

/** The JSON body of an answer. */
export function json(answer) {
  return JSON.parse(answer.body.toString('utf8'));
}
