// HTTP client for the Lambda Runtime API (2018-06-01) over node:http.
// One keep-alive socket serves every call: invocations are strictly sequential, and reusing the
// connection saves a TCP handshake per invoke. Node unrefs an idle pooled socket, so waiting for
// an empty event loop (callbackWaitsForEmptyEventLoop) still works between calls.

import http from 'node:http';
import { errorBody, xrayCause } from './errors.mjs';

const RUNTIME = '/2018-06-01/runtime';
export const ERROR_TYPE = 'Lambda-Runtime-Function-Error-Type';
export const ERROR_BODY = 'Lambda-Runtime-Function-Error-Body';
const XRAY_CAUSE = 'Lambda-Runtime-Function-XRay-Error-Cause';

/** Header values must be visible ASCII; an exotic error name must not make the post throw. */
export function headerValue(text) {
  return String(text).replace(/[^\x20-\x7e]/g, '?');
}

export class RuntimeClient {
  #agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  #hostname;
  #port;

  /** @param {string} endpoint AWS_LAMBDA_RUNTIME_API, "host:port" or "[v6]:port". */
  constructor(endpoint) {
    const colon = endpoint.lastIndexOf(':');
    this.#hostname = endpoint.slice(0, colon).replace(/^\[(.*)\]$/, '$1');
    this.#port = Number(endpoint.slice(colon + 1));
  }

  /**
   * Long-polls for the next event; no timeout, since Lambda holds the request until an invoke.
   * Any answer but 200 means the environment is broken and the runtime should exit.
   */
  async next() {
    const { status, headers, body } = await this.#send('GET', `${RUNTIME}/invocation/next`);
    if (status !== 200) {
      throw new Error(`GET /runtime/invocation/next answered ${status}: ${body.toString('utf8')}`);
    }
    return { headers, body: body.toString('utf8') };
  }

  postResponse(requestId, json) {
    return this.#send('POST', `${RUNTIME}/invocation/${encodeURIComponent(requestId)}/response`, {
      'Content-Type': 'application/json',
    }, json);
  }

  /**
   * Reports a function error. Like AWS's Node client, no error-type header: Lambda reads the
   * type from the body. The X-Ray cause rides along when the error has a usable stack.
   */
  postError(requestId, error) {
    const headers = { 'Content-Type': 'application/json' };
    const cause = xrayCause(error);
    if (cause !== undefined) {
      headers[XRAY_CAUSE] = cause;
    }
    return this.#send('POST', `${RUNTIME}/invocation/${encodeURIComponent(requestId)}/error`, headers,
      JSON.stringify(errorBody(error)));
  }

  postInitError(error) {
    const body = errorBody(error);
    return this.#send('POST', `${RUNTIME}/init/error`, {
      'Content-Type': 'application/json',
      [ERROR_TYPE]: headerValue(body.errorType),
    }, JSON.stringify(body));
  }

  /**
   * Starts a streamed /response. The caller writes the body and may add the error trailers before
   * ending; `done` settles when Lamina has answered.
   */
  openResponseStream(requestId, contentType) {
    const request = http.request({
      agent: this.#agent,
      hostname: this.#hostname,
      port: this.#port,
      method: 'POST',
      path: `${RUNTIME}/invocation/${encodeURIComponent(requestId)}/response`,
      headers: {
        'Lambda-Runtime-Function-Response-Mode': 'streaming',
        'Transfer-Encoding': 'chunked',
        Trailer: `${ERROR_TYPE}, ${ERROR_BODY}`,
        'Content-Type': contentType,
      },
    });
    return { request, done: responseOf(request) };
  }

  #send(method, path, headers = {}, body = undefined) {
    const payload = body === undefined ? undefined : Buffer.from(body, 'utf8');
    if (payload !== undefined) {
      headers['Content-Length'] = payload.length;
    }
    const request = http.request({ agent: this.#agent, hostname: this.#hostname, port: this.#port, method, path, headers });
    const response = responseOf(request);
    request.end(payload);
    return response;
  }
}

function responseOf(request) {
  return new Promise((resolve, reject) => {
    request.once('error', reject);
    request.once('response', (response) => {
      const chunks = [];
      response.on('data', (chunk) => chunks.push(chunk));
      response.once('error', reject);
      response.once('end', () =>
        resolve({ status: response.statusCode, headers: response.headers, body: Buffer.concat(chunks) }));
    });
  });
}
