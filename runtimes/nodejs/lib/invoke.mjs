// The invoke loop: one event at a time from /next, through the handler, to /response or /error.

import { createContext, setTraceId } from './context.mjs';
import { NodeJsExit } from './errors.mjs';
import { logError, setRequestId } from './logging.mjs';
import { ResponseStream } from './streaming.mjs';

const REQUEST_ID = 'lambda-runtime-aws-request-id';

function isPromise(value) {
  return typeof value?.then === 'function';
}

/**
 * Runs invocations until the process ends.
 *
 * Completion follows the Node.js programming model of AWS's runtime:
 * 1. A returned promise, `callback`, and `context.succeed/fail/done` all complete the invoke;
 *    the first one called wins and later calls are ignored.
 * 2. A promise or `context.*` responds at once. `callback(null, result)` responds when the event
 *    loop is empty (Node's 'beforeExit'), unless `context.callbackWaitsForEmptyEventLoop` is false.
 * 3. If the loop empties before anything completes, a plain handler's result is null and an async
 *    handler's is Runtime.NodeJsExit (its promise can no longer settle).
 * 4. Streaming handlers get (event, responseStream, context); errors end the stream with trailers.
 */
export class Runtime {
  #client;
  #handler;
  #metadata;
  /** What to do when the event loop next runs dry; one slot, as at most one invoke is in flight. */
  #onEmptyLoop = null;
  /** The invocation in progress, until its outcome is being posted: how to report a crash. */
  #active = null;

  constructor(client, handler, metadata) {
    this.#client = client;
    this.#handler = handler;
    this.#metadata = metadata;
    process.on('beforeExit', () => {
      const action = this.#onEmptyLoop;
      this.#onEmptyLoop = null;
      action?.();
    });
  }

  async run() {
    for (;;) {
      const { headers, body } = await this.#client.next();
      setRequestId(headers[REQUEST_ID]);
      setTraceId(headers);
      if (this.#metadata.streaming) {
        await this.#invokeStreaming(headers, body);
      } else {
        await this.#invokeBuffered(headers, body);
      }
    }
  }

  /**
   * Reports an uncaught exception or unhandled rejection as the current invoke's error. Returns
   * false when no invoke is in progress. The invoke loop is not resumed: the caller exits.
   */
  async reportCrash(error) {
    const active = this.#active;
    if (active === null) {
      return false;
    }
    this.#active = null;
    this.#onEmptyLoop = null;
    await active.crash(error);
    return true;
  }

  #invokeBuffered(headers, body) {
    const id = headers[REQUEST_ID];
    return new Promise((resolve, reject) => {
      let settled = false;

      const post = (send) => {
        this.#onEmptyLoop = null;
        this.#active = null;
        send().then(() => resolve(), reject);
      };
      const fail = (error) => {
        logError('Invoke Error', error);
        post(() => this.#client.postError(id, error));
      };
      const respond = (result) => {
        let json;
        try {
          json = JSON.stringify(result === undefined ? null : result) ?? 'null';
        } catch {
          fail(new Error('Unable to stringify response body'));
          return;
        }
        post(() => this.#client.postResponse(id, json));
      };
      const once = (complete) => (...args) => {
        if (!settled) {
          settled = true;
          complete(...args);
        }
      };

      const control = {
        waitsForEmptyEventLoop: true,
        succeed: once(respond),
        fail: once((error) => fail(error ?? 'handled')),
        done: once((error, result) => (error != null ? fail(error) : respond(result))),
      };
      const callback = once((error, result) => {
        if (error != null) {
          fail(error);
        } else if (control.waitsForEmptyEventLoop) {
          this.#onEmptyLoop = () => respond(result);
        } else {
          respond(result);
        }
      });

      this.#active = { crash: (error) => this.#client.postError(id, error) };
      this.#onEmptyLoop = once(() => (this.#metadata.isAsync ? fail(new NodeJsExit()) : respond(null)));

      let returned;
      try {
        returned = this.#handler(JSON.parse(body), createContext(headers, control), callback);
      } catch (error) {
        callback(error);
        return;
      }
      if (isPromise(returned)) {
        returned.then(control.succeed, control.fail);
      }
    });
  }

  async #invokeStreaming(headers, body) {
    const id = headers[REQUEST_ID];
    const stream = new ResponseStream(
      (contentType) => this.#client.openResponseStream(id, contentType),
      this.#metadata.highWaterMark,
    );
    const control = { waitsForEmptyEventLoop: true };
    this.#active = {
      crash: (error) => {
        stream.fail(error);
        return stream.done;
      },
    };

    let failed = false;
    let failure;
    try {
      const returned = this.#handler(JSON.parse(body), stream, createContext(headers, control));
      if (isPromise(returned)) {
        const loopDrained = new Promise((_, reject) => {
          this.#onEmptyLoop = () => reject(new NodeJsExit());
        });
        const result = await Promise.race([returned, loopDrained]);
        if (result !== undefined) {
          console.warn('Streaming handlers ignore return values.');
        }
        if (!stream.writableEnded) {
          [failed, failure] = [true, 'Response stream is not finished.'];
        }
      } else {
        [failed, failure] = [true, 'Streaming does not support non-async handlers.'];
      }
    } catch (error) {
      [failed, failure] = [true, error];
    }

    this.#onEmptyLoop = null;
    if (failed) {
      logError('Invoke Error', failure);
      stream.fail(failure);
    }
    await stream.done;
    this.#active = null;

    if (control.waitsForEmptyEventLoop) {
      await new Promise((resolve) => {
        this.#onEmptyLoop = resolve;
      });
    }
  }
}
