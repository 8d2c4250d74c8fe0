"""A fake Lambda Runtime API for the bootstrap's tests, and a helper that runs the real bootstrap.

The fake serves a fixed list of invocations on GET /next, records every POST, and answers 500
on /next once the list is exhausted, which makes the runtime exit (a container error).
"""

import collections
import http.server
import json
import os
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
import uuid

RUNTIME_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BOOTSTRAP = os.path.join(RUNTIME_DIR, "bootstrap")


class Invocation:
    def __init__(self, body=b"{}", content_type="application/json", request_id=None, deadline_ms=None,
                 arn="arn:aws:lambda:us-east-1:000000000000:function:fn", headers=None):
        self.body = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.request_id = request_id or str(uuid.uuid4())
        self.headers = {
            "Lambda-Runtime-Aws-Request-Id": self.request_id,
            "Lambda-Runtime-Deadline-Ms": str(deadline_ms or int(time.time() * 1000) + 30000),
            "Lambda-Runtime-Invoked-Function-Arn": arn,
        }
        if content_type is not None:
            self.headers["Content-Type"] = content_type
        self.headers.update(headers or {})


class Post:
    def __init__(self, path, headers, body):
        self.path = path
        self.headers = headers
        self.body = body

    def json(self):
        return json.loads(self.body)


class FakeRuntimeApi:
    def __init__(self, invocations, on_post=None):
        self.pending = collections.deque(invocations)
        self.on_post = on_post
        self.posts = []
        self.next_calls = 0
        self.connections = 0
        self.exhausted = False
        self._lock = threading.Lock()
        api = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self):
                super().setup()
                with api._lock:
                    api.connections += 1

            def log_message(self, *args):
                pass

            def do_GET(self):
                if self.path != "/2018-06-01/runtime/invocation/next":
                    return self._reply(404, b'{"errorType":"NotFound"}')
                with api._lock:
                    api.next_calls += 1
                    invocation = api.pending.popleft() if api.pending else None
                    api.exhausted = invocation is None
                if invocation is None:
                    return self._reply(500, b'{"errorType":"Fake.NoMoreInvocations"}')
                self._reply(200, invocation.body, invocation.headers, default_type=False)

            def do_POST(self):
                length = int(self.headers.get("Content-Length", "0"))
                post = Post(self.path, {k.lower(): v for k, v in self.headers.items()}, self.rfile.read(length))
                with api._lock:
                    api.posts.append(post)
                reply = api.on_post(post) if api.on_post is not None else None
                self._reply(*(reply or (202, b'{"status":"OK"}')))

            def _reply(self, status, body, headers=None, default_type=True):
                self.send_response(status)
                for key, value in (headers or {}).items():
                    self.send_header(key, value)
                if default_type:
                    self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        # A short poll interval: shutdown() waits for the serve loop to notice (default 0.5 s).
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.02,), daemon=True)

    @property
    def address(self):
        return "127.0.0.1:%d" % self._server.server_address[1]

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._server.shutdown()
        self._server.server_close()

    def post(self, suffix):
        matches = [p for p in self.posts if p.path.endswith(suffix)]
        if len(matches) != 1:
            raise AssertionError("expected one POST to ...%s, got %r" % (suffix, [p.path for p in self.posts]))
        return matches[0]

    def response(self, request_id):
        return self.post("/invocation/%s/response" % request_id)

    def error(self, request_id):
        return self.post("/invocation/%s/error" % request_id)

    @property
    def init_error(self):
        return self.post("/runtime/init/error")


class RunResult:
    def __init__(self, exit_code, stdout, stderr, api):
        self.exit_code = exit_code
        self.stdout = stdout
        self.stderr = stderr
        self.api = api

    def __str__(self):
        return "exit %s\n--- stdout\n%s\n--- stderr\n%s\n--- posts\n%s" % (
            self.exit_code, self.stdout, self.stderr,
            "\n".join("%s %r" % (p.path, p.body[:300]) for p in self.api.posts),
        )


class _Capture:
    """Reads a pipe on a thread, so a test can see what reached the pipe at a given moment."""

    def __init__(self, pipe):
        self._chunks = []
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._pump, args=(pipe,), daemon=True)
        self._thread.start()

    def _pump(self, pipe):
        for chunk in iter(lambda: pipe.read1(65536) if hasattr(pipe, "read1") else pipe.read(65536), b""):
            with self._lock:
                self._chunks.append(chunk)

    def text(self):
        with self._lock:
            return b"".join(self._chunks).decode("utf-8", "replace")

    def join(self):
        self._thread.join(10)


def write_files(root, files):
    for relative, source in files.items():
        path = os.path.join(root, relative)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8") as f:
            f.write(textwrap.dedent(source))


def interpreter():
    """This interpreter by its python3.X name when it has one (as Lamina passes it)."""
    versioned = os.path.join(os.path.dirname(sys.executable), "python%d.%d" % sys.version_info[:2])
    return versioned if os.path.exists(versioned) else sys.executable


def base_env(api, task_root, handler):
    # Only what Lamina would set: none of the host's AWS_* or PYTHON* (PYTHONUNBUFFERED...) settings.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "_X_AMZN", "LAMBDA_", "PYTHON", "_LAMINA"))}
    env.update({
        "_HANDLER": handler,
        "AWS_LAMBDA_RUNTIME_API": api.address,
        "AWS_LAMBDA_FUNCTION_NAME": "fn",
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256",
        "AWS_LAMBDA_LOG_GROUP_NAME": "/aws/lambda/fn",
        "AWS_LAMBDA_LOG_STREAM_NAME": "2025/01/01/[$LATEST]0123456789abcdef0123456789abcdef",
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "LAMBDA_TASK_ROOT": task_root,
        "LAMBDA_RUNTIME_DIR": RUNTIME_DIR,
        "TZ": ":UTC",
        "LANG": "en_US.UTF-8",
        "_LAMINA_INTERPRETER": interpreter(),
        "_LAMINA_PYTHON_PACKAGES": os.path.join(task_root, "..", "no-python-packages"),
    })
    return env


def run_runtime(files, handler="app.handler", invocations=(), env=None, on_post=None, before_start=None, timeout=20):
    """Runs `sh bootstrap` against a fresh fake Runtime API until it exits.

    files: {relative path under the task root: source}. env: overrides (None removes a key).
    on_post(post, stdout_text): called on the server thread when a POST arrives; may return
        (status, body) to answer with instead of 202.
    before_start(tmp): last preparations in the temporary directory (task root is tmp/task).
    "{tmp}" in env values stands for that directory.
    """
    with tempfile.TemporaryDirectory() as tmp:
        task_root = os.path.join(tmp, "task")
        os.makedirs(task_root)
        write_files(task_root, files)
        if before_start is not None:
            before_start(tmp)
        holder = {}
        hook = None
        if on_post is not None:
            def hook(post):
                return on_post(post, holder["stdout"].text)
        with FakeRuntimeApi(invocations, hook) as api:
            full_env = base_env(api, task_root, handler)
            for key, value in (env or {}).items():
                if value is None:
                    full_env.pop(key, None)
                else:
                    full_env[key] = value.replace("{tmp}", tmp) if isinstance(value, str) else value
            process = subprocess.Popen(
                ["sh", BOOTSTRAP], env=full_env, stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            )
            holder["stdout"] = stdout = _Capture(process.stdout)
            stderr = _Capture(process.stderr)
            try:
                exit_code = process.wait(timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
                exit_code = "timeout"
            stdout.join()
            stderr.join()
            process.stdout.close()
            process.stderr.close()
            return RunResult(exit_code, stdout.text(), stderr.text(), api)
