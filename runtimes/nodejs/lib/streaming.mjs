// Response streaming: the `awslambda` global that user code calls at load time, and the writable
// stream a streaming handler receives.

import { Writable } from 'node:stream';
import { ERROR_BODY, ERROR_TYPE, headerValue } from './client.mjs';
import { errorBody, InvalidStreamingOperation } from './errors.mjs';

export const STREAMING = Symbol.for('aws.lambda.runtime.handler.streaming');
export const HIGH_WATER_MARK = Symbol.for('aws.lambda.runtime.handler.streaming.highWaterMark');
export const STREAM_RESPONSE = 'response';

const DEFAULT_CONTENT_TYPE = 'application/octet-stream';
const HTTP_INTEGRATION_CONTENT_TYPE = 'application/vnd.awslambda.http-integration-response';
const PRELUDE_DELIMITER = Buffer.alloc(8); // 8 NUL bytes end the JSON metadata
const PRELUDE = Symbol('prelude');

/**
 * The stream passed to a streaming handler. The POST to /response starts at the first write (or
 * at end), so the content type can be chosen until then. A failure ends the body with the
 * Lambda-Runtime-Function-Error-Type/-Body trailers instead of an /error post.
 */
export class ResponseStream extends Writable {
  #open;
  #contentType = DEFAULT_CONTENT_TYPE;
  #request = null;
  #trailers = null;
  #broken = false;
  #settle;

  /** Settles when Lamina has answered the streamed POST (or it failed). */
  done = new Promise((resolve) => {
    this.#settle = resolve;
  });

  /** @param {(contentType: string) => {request: import('node:http').ClientRequest, done: Promise}} open */
  constructor(open, highWaterMark) {
    super(highWaterMark === undefined ? {} : { highWaterMark });
    this.#open = open;
  }

  setContentType(contentType) {
    if (this.#request !== null) {
      throw new InvalidStreamingOperation('Cannot set content-type, too late.');
    }
    this.#contentType = contentType;
  }

  /** Objects that are not bytes or text are written as JSON, as AWS's runtime does. */
  write(chunk, encoding, callback) {
    if (typeof chunk !== 'string' && !(chunk instanceof Uint8Array)) {
      chunk = JSON.stringify(chunk);
    }
    return super.write(chunk, encoding, callback);
  }

  /** Ends the response with error trailers; data already written stays in the body. */
  fail(error) {
    const body = errorBody(error);
    this.#trailers = {
      [ERROR_TYPE]: headerValue(body.errorType),
      [ERROR_BODY]: Buffer.from(JSON.stringify(body)).toString('base64'),
    };
    if (this.destroyed) {
      // Finished (Writable auto-destroys) or destroyed by the handler: end the POST if still open.
      if (this.#request === null || !this.#request.writableEnded) {
        this.#finishRequest();
      }
    } else if (!this.writableEnded) {
      this.end(); // flushes buffered writes first; _final adds the trailers
    }
    // Otherwise end() was called and _final, still to run, adds the trailers.
  }

  _write(chunk, encoding, callback) {
    const request = this.#start();
    if (this.#broken) {
      callback(); // Lamina stopped reading (e.g. 413); drop the rest rather than throw in user code
      return;
    }
    request.write(chunk, encoding, () => callback());
  }

  _final(callback) {
    this.#finishRequest();
    callback();
  }

  _destroy(error, callback) {
    callback(error);
  }

  #finishRequest() {
    const request = this.#start();
    if (this.#trailers !== null) {
      request.addTrailers(this.#trailers);
    }
    request.end();
  }

  #start() {
    if (this.#request === null) {
      const { request, done } = this.#open(this.#contentType);
      this.#request = request;
      request.on('error', () => {
        this.#broken = true;
      });
      done.then(this.#settle, (error) => this.#settle({ error }));
      if (this[PRELUDE] !== undefined) {
        request.write(this[PRELUDE]);
      }
    }
    return this.#request;
  }
}

/** `awslambda.HttpResponseStream.from(stream, {statusCode, headers, cookies})` for Function URLs. */
export class HttpResponseStream {
  static from(stream, prelude) {
    stream.setContentType(HTTP_INTEGRATION_CONTENT_TYPE);
    stream[PRELUDE] = Buffer.concat([Buffer.from(JSON.stringify(prelude ?? {})), PRELUDE_DELIMITER]);
    return stream;
  }
}

/** Defines `globalThis.awslambda` unless AWS_LAMBDA_NODEJS_NO_GLOBAL_AWSLAMBDA opts out (as on AWS). */
export function installAwsLambdaGlobal(env = process.env) {
  const optOut = env.AWS_LAMBDA_NODEJS_NO_GLOBAL_AWSLAMBDA;
  if (optOut === '1' || optOut === 'true') {
    return;
  }
  globalThis.awslambda = {
    streamifyResponse(handler, options) {
      handler[STREAMING] = STREAM_RESPONSE;
      if (typeof options?.highWaterMark === 'number') {
        handler[HIGH_WATER_MARK] = Math.trunc(options.highWaterMark);
      }
      return handler;
    },
    HttpResponseStream,
  };
}
