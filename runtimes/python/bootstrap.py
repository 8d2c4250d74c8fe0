"""Lamina's managed Python runtime (standard library only).

./bootstrap execs ``python3.X -u -S bootstrap.py``. This module builds sys.path, loads the
handler named by _HANDLER and serves invokes over the Lambda Runtime API, reproducing what a
function can observe of AWS's managed runtime (awslambdaric): handler resolution and its
Runtime.* errors, event and result marshalling, the context object, log formats and error
bodies.

Flow (see main):
  1. sys.path: task root, layers, stdlib, then the bundled SDK (configure_sys_path).
  2. Root logger: AWS's text or JSON format, AWS_LAMBDA_LOG_LEVEL (configure_logging).
  3. Import the handler; on failure log the error, POST /runtime/init/error with the
     Lambda-Runtime-Function-Error-Type header, exit 1.
  4. Loop: GET /next (no timeout), set _X_AMZN_TRACE_ID, call handler(event, context),
     flush stdout/stderr, POST /response or /error on the same HTTP connection.
A handler that calls sys.exit() ends the process: Lamina sees the exit (Runtime.ExitError).
"""

import http.client
import importlib
import json
import logging
import os
import re
import site  # with -S, importing site changes nothing by itself
import sys
import time
import traceback
import urllib.parse
from datetime import datetime, timezone

# Everything above is imported before LAMBDA_TASK_ROOT goes on sys.path, so a function's own
# json.py or site.py cannot replace the runtime's (as with AWS's bootstrap).

RUNTIME_DIR = os.path.dirname(os.path.realpath(__file__))
# Frames of this runtime are cut from user stack traces, whether /var/runtime is a link or not.
_RUNTIME_PREFIXES = tuple({RUNTIME_DIR + os.sep, os.path.dirname(os.path.abspath(__file__)) + os.sep})
API_PREFIX = "/2018-06-01/runtime"

# Request id and tenant id of the current invoke, stamped on every log record. Like AWS, the
# id is not cleared after an invoke: background threads keep logging under the last one.
_request_id = None
_tenant_id = None


# --- sys.path -------------------------------------------------------------------------------


def configure_sys_path(environ=os.environ):
    """Search order of AWS's managed bootstrap, with Lamina's bundled SDK last.

    1. LAMBDA_TASK_ROOT, always first, so the function's own copies of anything win;
    2. without PYTHONPATH: /opt/python/lib/pythonX.Y/site-packages then /opt/python (layers);
       with PYTHONPATH: its entries, where the interpreter put them (AWS adds no /opt paths);
    3. the standard library;
    4. the bundled packages (boto3, botocore...), /var/runtime/python-packages, or
       _LAMINA_PYTHON_PACKAGES (tests only).
    The interpreter runs with -S, so the host's site-packages never appear. .pth files in the
    directories above are honoured, as AWS's site.addsitedir calls do.
    """
    # Our own directory (the script's, put first by the interpreter) holds nothing for users.
    if sys.path and os.path.realpath(sys.path[0] or os.curdir) == RUNTIME_DIR:
        del sys.path[0]

    front = [environ.get("LAMBDA_TASK_ROOT", "/var/task")]
    if "PYTHONPATH" not in environ:
        front.append("/opt/python/lib/python%d.%d/site-packages" % sys.version_info[:2])
        front.append("/opt/python")
    sys.path[0:0] = front

    for directory in front:
        if os.path.isdir(directory):
            site.addsitedir(directory)  # already on sys.path: only reads its .pth files

    packages = environ.get("_LAMINA_PYTHON_PACKAGES") or os.path.join(RUNTIME_DIR, "python-packages")
    if os.path.isdir(packages):
        site.addsitedir(packages)

    # -S also skips the exit()/quit()/help() builtins that AWS's interpreter has.
    for install in ("setquit", "setcopyright", "sethelper"):
        if hasattr(site, install):
            getattr(site, install)()


# --- Handler loading ------------------------------------------------------------------------


class FaultError(Exception):
    """A runtime-detected failure reported with a Runtime.* error type."""

    def __init__(self, error_type, message, trace=None):
        super().__init__(message)
        self.error_type = error_type
        self.message = message
        self.trace = trace


def load_handler(handler):
    """Resolves "pkg/module.function" (or "pkg.module.function") as awslambdaric does."""
    try:
        module_name, function_name = handler.rsplit(".", 1)
    except ValueError as e:
        raise FaultError("Runtime.MalformedHandlerName", "Bad handler '%s': %s" % (handler, e))

    if module_name.split(".")[0] in sys.builtin_module_names:
        raise FaultError(
            "Runtime.BuiltInModuleConflict",
            "Cannot use built-in module %s as a handler module" % module_name,
        )
    try:
        module = importlib.import_module(module_name.replace("/", "."))
    except ImportError as e:
        raise FaultError(
            "Runtime.ImportModuleError", "Unable to import module '%s': %s" % (module_name, e)
        )
    except SyntaxError as e:
        trace = ['  File "%s" Line %s\n    %s' % (e.filename, e.lineno, e.text)]
        raise FaultError(
            "Runtime.UserCodeSyntaxError",
            "Syntax error in module '%s': %s" % (module_name, e),
            trace,
        )

    try:
        return getattr(module, function_name)
    except AttributeError:
        raise FaultError(
            "Runtime.HandlerNotFound",
            "Handler '%s' missing on module '%s'" % (function_name, module_name),
        )


# --- Error bodies ---------------------------------------------------------------------------


def error_body(message, error_type, stack_trace, request_id=None):
    """The body the Python client posts: always these four keys, empty values as "" / []."""
    return {
        "errorMessage": message or "",
        "errorType": error_type or "",
        "requestId": request_id or "",
        "stackTrace": stack_trace or [],
    }


def exception_error_body(exc_type, exc, tb, request_id=None):
    """errorType is the class name; the stack starts at the first frame outside this runtime."""
    frames = [(f.filename, f.lineno, f.name, f.line) for f in traceback.extract_tb(tb)]
    for index, frame in enumerate(frames):
        if not frame[0].startswith(_RUNTIME_PREFIXES):
            frames = frames[index:]
            break
    # 4-tuples, not FrameSummary objects: no 3.11+ column carets, as on AWS.
    return error_body(str(exc), exc_type.__name__, traceback.format_list(frames), request_id)


# --- Marshalling ----------------------------------------------------------------------------


class JsonEncoder:
    """json.dumps for results and error bodies; a Decimal becomes its exact number.

    The standard library cannot emit raw number text from default=, so a Decimal is first
    written as a marked string and the marks (random per process) are removed afterwards,
    giving str(Decimal) digit for digit, as simplejson's use of RawJSON does on AWS (a float
    would turn Decimal("0.10") into 0.1). NaN of any sign becomes NaN, as on AWS.
    AWS's python3.12+ runtimes write non-ASCII characters as UTF-8, older ones as \\u escapes.
    """

    def __init__(self):
        self._mark = "@@lamina-decimal-%s@@" % os.urandom(8).hex()
        self._marked = re.compile('"%s([^"]*)%s"' % (self._mark, self._mark))
        self._ensure_ascii = sys.version_info < (3, 12)

    def encode(self, value):
        marked = []

        def default(obj):
            decimal = sys.modules.get("decimal")  # only a program that made a Decimal has it
            if decimal is not None and isinstance(obj, decimal.Decimal):
                marked.append(True)
                return self._mark + ("NaN" if obj.is_nan() else str(obj)) + self._mark
            raise TypeError("Object of type %s is not JSON serializable" % type(obj).__name__)

        text = json.dumps(value, default=default, ensure_ascii=self._ensure_ascii)
        return self._marked.sub(r"\1", text) if marked else text


def decode_event(body, content_type):
    """JSON only for exactly application/json (awslambdaric's rule); otherwise raw bytes."""
    if content_type != "application/json":
        return body
    try:
        return json.loads(body)
    except Exception as e:
        raise FaultError("Runtime.UnmarshalError", "Unable to unmarshal input: %s" % e)


def encode_result(result, encoder):
    if isinstance(result, bytes):
        return result, "application/unknown"
    try:
        return encoder.encode(result).encode("utf-8"), "application/json"
    except Exception as e:
        raise FaultError("Runtime.MarshalError", "Unable to marshal response: %s" % e)


# --- Context --------------------------------------------------------------------------------


class CognitoIdentity:
    __slots__ = ("cognito_identity_id", "cognito_identity_pool_id")

    def __init__(self, identity):
        self.cognito_identity_id = identity.get("cognitoIdentityId")
        self.cognito_identity_pool_id = identity.get("cognitoIdentityPoolId")

    def __repr__(self):
        return "CognitoIdentity([cognito_identity_id=%s,cognito_identity_pool_id=%s])" % (
            self.cognito_identity_id,
            self.cognito_identity_pool_id,
        )


class Client:
    __slots__ = ("installation_id", "app_title", "app_version_name", "app_version_code", "app_package_name")

    def __init__(self, client):
        for name in self.__slots__:
            setattr(self, name, client.get(name))

    def __repr__(self):
        fields = ",".join("%s=%s" % (name, getattr(self, name)) for name in self.__slots__)
        return "Client([%s])" % fields


class ClientContext:
    __slots__ = ("custom", "env", "client")

    def __init__(self, context):
        self.custom = context.get("custom")
        self.env = context.get("env")
        client = context.get("client")
        self.client = Client(client) if client is not None else None

    def __repr__(self):
        return "ClientContext([custom=%s,env=%s,client=%s])" % (self.custom, self.env, self.client)


def _parse_json_header(value, name):
    try:
        return json.loads(value)
    except Exception as e:
        raise FaultError("Runtime.LambdaContextUnmarshalError", "Unable to parse %s JSON: %s" % (name, e))


class LambdaContext:
    """The handler's second argument: awslambdaric's LambdaContext attributes and methods."""

    def __init__(self, invocation):
        env = os.environ
        self.aws_request_id = invocation.request_id
        self.log_group_name = env.get("AWS_LAMBDA_LOG_GROUP_NAME")
        self.log_stream_name = env.get("AWS_LAMBDA_LOG_STREAM_NAME")
        self.function_name = env.get("AWS_LAMBDA_FUNCTION_NAME")
        self.memory_limit_in_mb = env.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE")
        self.function_version = env.get("AWS_LAMBDA_FUNCTION_VERSION")
        self.invoked_function_arn = invocation.invoked_function_arn
        self.tenant_id = invocation.tenant_id
        self.client_context = None
        if invocation.client_context:
            self.client_context = ClientContext(_parse_json_header(invocation.client_context, "Client Context"))
        identity = {}
        if invocation.cognito_identity:
            identity = _parse_json_header(invocation.cognito_identity, "Cognito Identity")
        self.identity = CognitoIdentity(identity)
        self._deadline_ms = invocation.deadline_ms

    def get_remaining_time_in_millis(self):
        return max(self._deadline_ms - int(time.time() * 1000), 0)

    def log(self, msg):
        """Writes msg as is (no newline added), like awslambdaric's context.log."""
        sys.stdout.write(str(msg))
        sys.stdout.flush()

    def __repr__(self):
        names = (
            "aws_request_id", "log_group_name", "log_stream_name", "function_name",
            "memory_limit_in_mb", "function_version", "invoked_function_arn",
            "client_context", "identity", "tenant_id",
        )
        return "LambdaContext([%s])" % ",".join("%s=%s" % (n, getattr(self, n)) for n in names)


# --- Logging --------------------------------------------------------------------------------

TEXT_LOG_FORMAT = "[%(levelname)s]\t%(asctime)s.%(msecs)03dZ\t%(aws_request_id)s\t%(message)s\n"
LOG_DATE_FORMAT = "%Y-%m-%dT%H:%M:%S"

# LogRecord attributes that are not user "extra" fields in the JSON format.
_RECORD_FIELDS = frozenset((
    "name", "msg", "args", "levelname", "levelno", "pathname", "filename", "module", "exc_info",
    "exc_text", "stack_info", "lineno", "funcName", "created", "msecs", "relativeCreated",
    "thread", "threadName", "processName", "process", "message", "asctime",
    "aws_request_id", "tenant_id",
))


class RequestIdFilter(logging.Filter):
    def filter(self, record):
        record.aws_request_id = _request_id or ""
        record.tenant_id = _tenant_id
        return True


class JsonLogFormatter(logging.Formatter):
    """AWS's JSON application log: one object per record, None-valued fields left out."""

    def format(self, record):
        level = logging.getLevelName(min(50, max(0, record.levelno)) // 10 * 10)
        stamp = datetime.fromtimestamp(record.created, tz=timezone.utc)
        exc_info = record.exc_info
        entry = {
            "timestamp": stamp.strftime(LOG_DATE_FORMAT + ".%f")[:-3] + "Z",
            "level": level,
            "message": record.getMessage(),
            "logger": record.name,
            "stackTrace": traceback.format_tb(exc_info[2]) if exc_info else None,
            "errorType": exc_info[0].__name__ if exc_info else None,
            "errorMessage": str(exc_info[1]) if exc_info else None,
            "requestId": getattr(record, "aws_request_id", None),
            "location": "%s:%s:%s" % (record.pathname, record.funcName, record.lineno) if exc_info else None,
            "tenantId": getattr(record, "tenant_id", None),
        }
        for key, value in record.__dict__.items():
            if key not in _RECORD_FIELDS and key not in entry:
                entry[key] = value
        entry = {key: value for key, value in entry.items() if value is not None}
        return json.dumps(entry, ensure_ascii=False, default=str) + "\n"


class StdoutLogHandler(logging.Handler):
    """Writes each record to the current sys.stdout and flushes it.

    Lamina reads the function log from fd 1 line by line, so a text record keeps to one line:
    inner newlines become carriage returns, as CloudWatch shows multi-line Python records.
    """

    def __init__(self, one_line):
        super().__init__()
        self._one_line = one_line

    def emit(self, record):
        try:
            text = self.format(record)
            if self._one_line:
                text = text[:-1] if text.endswith("\n") else text
                text = text.replace("\n", "\r") + "\n"
            sys.stdout.write(text)
            sys.stdout.flush()
        except Exception:
            self.handleError(record)


def configure_logging(json_format, level_name):
    logging.Formatter.converter = time.gmtime  # AWS sets it for every formatter, UTC throughout
    handler = StdoutLogHandler(one_line=not json_format)
    if json_format:
        handler.setFormatter(JsonLogFormatter())
    else:
        handler.setFormatter(logging.Formatter(TEXT_LOG_FORMAT, LOG_DATE_FORMAT))
    handler.addFilter(RequestIdFilter())
    root = logging.getLogger()
    # Lambda's levels are TRACE DEBUG INFO WARN ERROR FATAL; Python has no TRACE.
    level_name = {"TRACE": "DEBUG"}.get(level_name.upper(), level_name.upper())
    if isinstance(logging.getLevelName(level_name), int):  # a known level name; others are ignored
        root.setLevel(level_name)
    root.addHandler(handler)


def log_error(error, json_format, encoder):
    """The record the runtime itself writes for an init or invoke error."""
    if json_format:
        entry = {"timestamp": time.strftime(LOG_DATE_FORMAT, time.gmtime()), "level": "ERROR"}
        entry.update(error)
        sys.stdout.write(encoder.encode(entry) + "\n")
        return
    head = "[ERROR]"
    if error["errorType"]:
        head += " " + error["errorType"]
    if error["errorMessage"]:
        head += (":" if error["errorType"] else "") + " " + error["errorMessage"]
    lines = [head, "Traceback (most recent call last):"]
    for entry in error["stackTrace"]:
        if entry == "":
            lines.append("")
            continue
        for line in entry.splitlines():
            stripped = line.lstrip(" ")
            lines.append("\u00a0" * (len(line) - len(stripped)) + stripped)  # AWS indents with NBSP
    sys.stdout.write("\r".join(lines).replace("\n", "\r") + "\n")


def flush_std_streams():
    for stream in (sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__):
        try:
            stream.flush()
        except Exception:
            pass


# --- Runtime API ----------------------------------------------------------------------------


class RuntimeApiError(Exception):
    pass


class Invocation:
    __slots__ = (
        "request_id", "body", "content_type", "deadline_ms", "invoked_function_arn", "trace_id",
        "client_context", "cognito_identity", "tenant_id",
    )

    def __init__(self, headers, body):
        self.request_id = headers.get("Lambda-Runtime-Aws-Request-Id") or ""
        self.body = body
        self.content_type = headers.get("Content-Type")
        deadline = headers.get("Lambda-Runtime-Deadline-Ms")
        self.deadline_ms = int(deadline) if deadline and deadline.isdigit() else 0
        self.invoked_function_arn = headers.get("Lambda-Runtime-Invoked-Function-Arn")
        self.trace_id = headers.get("Lambda-Runtime-Trace-Id")
        self.client_context = _utf8_header(headers.get("Lambda-Runtime-Client-Context"))
        self.cognito_identity = _utf8_header(headers.get("Lambda-Runtime-Cognito-Identity"))
        self.tenant_id = headers.get("Lambda-Runtime-Aws-Tenant-Id")


def _utf8_header(value):
    """http.client decodes header bytes as Latin-1; JSON headers carry UTF-8 (e.g. a client
    context with non-ASCII custom values)."""
    if not value:
        return value
    try:
        return value.encode("latin-1").decode("utf-8")
    except UnicodeError:
        return value


class RuntimeApiClient:
    """One persistent HTTP/1.1 connection to AWS_LAMBDA_RUNTIME_API, without timeout: /next
    is a long poll that may wait for hours between invokes."""

    def __init__(self, address):
        self._connection = http.client.HTTPConnection(address, timeout=None)
        self._user_agent = "lamina-python/%d.%d.%d" % sys.version_info[:3]

    def _call(self, method, path, body=None, headers=None):
        all_headers = {"User-Agent": self._user_agent}
        all_headers.update(headers or {})
        for attempt in (1, 2):
            try:
                self._connection.request(method, API_PREFIX + path, body=body, headers=all_headers)
                response = self._connection.getresponse()
                return response.status, response.headers, response.read()
            except (ConnectionError, http.client.HTTPException):
                # A keep-alive connection the server dropped while idle: retry once on a new one.
                self._connection.close()
                if attempt == 2:
                    raise

    def next_invocation(self):
        status, headers, body = self._call("GET", "/invocation/next")
        if status != 200:
            raise RuntimeApiError("GET /invocation/next returned %d: %s" % (status, body[:1000]))
        return Invocation(headers, body)

    def post_response(self, request_id, payload, content_type):
        self._post("/invocation/%s/response" % _quote(request_id), payload, {"Content-Type": content_type})

    def post_error(self, request_id, body):
        # Like awslambdaric: no Lambda-Runtime-Function-Error-Type header on invoke errors.
        self._post("/invocation/%s/error" % _quote(request_id), body, {"Content-Type": "application/json"})

    def post_init_error(self, body, error_type):
        headers = {"Content-Type": "application/json"}
        if error_type and error_type.isascii():
            headers["Lambda-Runtime-Function-Error-Type"] = error_type
        self._post("/init/error", body, headers)

    def _post(self, path, body, headers):
        status, _, reply = self._call("POST", path, body, headers)
        if status >= 500:
            raise RuntimeApiError("POST %s returned %d: %s" % (path, status, reply[:1000]))
        if status >= 300:
            # e.g. 413 for a response over 6 MB: the server has failed the invoke already.
            sys.stderr.write("Lamina runtime: POST %s returned %d: %s\n" % (path, status, reply[:1000]))


def _quote(request_id):
    return urllib.parse.quote(request_id, safe="")


# --- Main loop ------------------------------------------------------------------------------


def handle_invocation(api, handler, invocation, encoder, json_logs):
    global _request_id, _tenant_id
    _request_id = invocation.request_id
    _tenant_id = invocation.tenant_id
    if invocation.trace_id:
        os.environ["_X_AMZN_TRACE_ID"] = invocation.trace_id
    else:
        os.environ.pop("_X_AMZN_TRACE_ID", None)

    error = None
    try:
        context = LambdaContext(invocation)
        event = decode_event(invocation.body, invocation.content_type)
        payload, content_type = encode_result(handler(event, context), encoder)
    except FaultError as e:
        error = error_body(e.message, e.error_type, e.trace, invocation.request_id)
    except Exception:
        error = exception_error_body(*sys.exc_info(), request_id=invocation.request_id)

    if error is not None:
        log_error(error, json_logs, encoder)
        flush_std_streams()
        api.post_error(invocation.request_id, encoder.encode(error).encode("utf-8", "backslashreplace"))
    else:
        flush_std_streams()
        api.post_response(invocation.request_id, payload, content_type)


def main():
    configure_sys_path()
    api = RuntimeApiClient(os.environ.get("AWS_LAMBDA_RUNTIME_API", "127.0.0.1:9001"))
    encoder = JsonEncoder()
    json_logs = os.environ.get("AWS_LAMBDA_LOG_FORMAT", "").upper() == "JSON"
    configure_logging(json_logs, os.environ.get("AWS_LAMBDA_LOG_LEVEL", ""))

    try:
        try:
            handler = load_handler(os.environ.get("_HANDLER", ""))
        except FaultError as e:
            error = error_body(e.message, e.error_type, e.trace)
        except Exception:
            error = exception_error_body(*sys.exc_info())
        else:
            error = None
        if error is not None:
            log_error(error, json_logs, encoder)
            flush_std_streams()
            api.post_init_error(encoder.encode(error).encode("utf-8", "backslashreplace"), error["errorType"])
            sys.exit(1)

        while True:
            handle_invocation(api, handler, api.next_invocation(), encoder, json_logs)
    except (RuntimeApiError, ConnectionError, http.client.HTTPException) as e:
        flush_std_streams()
        sys.stderr.write("Lamina runtime: Runtime API failure, exiting: %s\n" % e)
        sys.exit(1)


if __name__ == "__main__":
    main()
