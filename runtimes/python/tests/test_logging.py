"""Function logs on stdout: AWS's text and JSON formats, levels, print(), flushing before the post."""

import json
import re
import time
import unittest

from .fake_runtime_api import Invocation, run_runtime

LOGGING = """
import logging
import sys

logger = logging.getLogger("app.orders")
logging.getLogger().warning("during init")

def handler(event, context):
    logger.debug("debug line")
    logger.info("info line")
    logger.warning("two\\nlines")
    logging.error("caf\\u00e9 %s", "ok")
    try:
        raise KeyError("k")
    except KeyError:
        logger.exception("failed")
    logger.warning("with extra", extra={"orderId": 7})
    print("printed line")
    print("to stderr", file=sys.stderr)
    context.log("context log\\n")
    return "done"
"""

TIMESTAMP = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z"


def lines(text):
    return text.split("\n")


class TextFormatTests(unittest.TestCase):
    def run_logging(self, env=None):
        inv = Invocation(request_id="8f5cd0a8-0000-4000-8000-000000000001")
        result = run_runtime({"app.py": LOGGING}, "app.handler", [inv], env)
        self.assertEqual(result.api.response(inv.request_id).json(), "done", result)
        return result, inv.request_id

    def test_default_level_is_warning_and_format_is_awss(self):
        result, rid = self.run_logging()
        out = lines(result.stdout)
        self.assertRegex(out[0], r"^\[WARNING\]\t%s\t\tduring init$" % TIMESTAMP)
        self.assertRegex(out[1], r"^\[WARNING\]\t%s\t%s\ttwo\rlines$" % (TIMESTAMP, rid))
        self.assertRegex(out[2], r"^\[ERROR\]\t%s\t%s\tcafé ok$" % (TIMESTAMP, rid))
        self.assertRegex(out[3], r"^\[ERROR\]\t%s\t%s\tfailed\rTraceback \(most recent call last\):\r  File .*\rKeyError: 'k'$"
                         % (TIMESTAMP, rid))
        self.assertRegex(out[4], r"^\[WARNING\]\t%s\t%s\twith extra$" % (TIMESTAMP, rid))
        self.assertEqual(out[5:], ["printed line", "context log", ""])
        self.assertNotIn("info line", result.stdout)
        self.assertIn("to stderr\n", result.stderr)

    def test_timestamps_are_utc(self):
        before = time.strftime("%Y-%m-%dT%H", time.gmtime())
        result, _ = self.run_logging({"TZ": "America/New_York"})
        stamp = lines(result.stdout)[0].split("\t")[1]
        self.assertIn(stamp[:13], (before, time.strftime("%Y-%m-%dT%H", time.gmtime())))

    def test_log_level_env_lowers_the_root_level(self):
        result, rid = self.run_logging({"AWS_LAMBDA_LOG_LEVEL": "TRACE"})
        self.assertRegex(result.stdout, r"\[DEBUG\]\t%s\t%s\tdebug line\n" % (TIMESTAMP, rid))
        self.assertRegex(result.stdout, r"\[INFO\]\t%s\t%s\tinfo line\n" % (TIMESTAMP, rid))

    def test_log_level_env_raises_the_root_level(self):
        result, _ = self.run_logging({"AWS_LAMBDA_LOG_LEVEL": "ERROR"})
        self.assertNotIn("two\rlines", result.stdout)
        self.assertIn("café ok", result.stdout)


class JsonFormatTests(unittest.TestCase):
    def run_json(self, level):
        inv = Invocation(request_id="8f5cd0a8-0000-4000-8000-000000000002", headers={"Lambda-Runtime-Aws-Tenant-Id": "t1"})
        env = {"AWS_LAMBDA_LOG_FORMAT": "JSON", "AWS_LAMBDA_LOG_LEVEL": level}
        result = run_runtime({"app.py": LOGGING}, "app.handler", [inv], env)
        self.assertEqual(result.api.response(inv.request_id).json(), "done", result)
        records = [json.loads(l) for l in lines(result.stdout) if l.startswith("{")]
        return result, records, inv.request_id

    def test_records_and_fields(self):
        result, records, rid = self.run_json("INFO")
        self.assertEqual([r["message"] for r in records],
                         ["during init", "info line", "two\nlines", "café ok", "failed", "with extra"])
        init, info, warning, error, failed, extra = records
        self.assertEqual(set(init), {"timestamp", "level", "message", "logger", "requestId"})
        self.assertEqual((init["level"], init["logger"], init["requestId"]), ("WARNING", "root", ""))
        self.assertRegex(info["timestamp"], "^%s$" % TIMESTAMP)
        self.assertEqual(info, {"timestamp": info["timestamp"], "level": "INFO", "message": "info line",
                                "logger": "app.orders", "requestId": rid, "tenantId": "t1"})
        self.assertEqual(error["level"], "ERROR")
        self.assertEqual(failed["errorType"], "KeyError")
        self.assertEqual(failed["errorMessage"], "'k'")
        self.assertIsInstance(failed["stackTrace"], list)
        self.assertIn('raise KeyError("k")', "".join(failed["stackTrace"]))
        self.assertRegex(failed["location"], r"/task/app\.py:handler:\d+$")
        self.assertEqual(extra["orderId"], 7)
        # print() and context.log are not records: they stay as written.
        self.assertIn("\nprinted line\ncontext log\n", result.stdout)
        # Non-ASCII stays UTF-8 in the JSON text.
        self.assertIn('"café ok"', result.stdout)

    def test_level_filtering(self):
        _, records, _ = self.run_json("WARN")
        self.assertEqual([r["level"] for r in records], ["WARNING", "WARNING", "ERROR", "ERROR", "WARNING"])
        _, records, _ = self.run_json("DEBUG")
        self.assertEqual(records[1]["level"], "DEBUG")

    def test_invoke_error_is_logged_as_json(self):
        files = {"app.py": "def handler(event, context):\n    raise RuntimeError('nope')\n"}
        inv = Invocation()
        result = run_runtime(files, "app.handler", [inv], {"AWS_LAMBDA_LOG_FORMAT": "JSON"})
        record = json.loads(lines(result.stdout)[0])
        self.assertRegex(record.pop("timestamp"), r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$")
        self.assertEqual(record, dict(level="ERROR", **result.api.error(inv.request_id).json()))


class OutputOrderingTests(unittest.TestCase):
    def test_stdout_reaches_the_pipe_before_the_response_is_posted(self):
        files = {"app.py": """
            import logging
            def handler(event, context):
                print("marker-print-%s" % event["i"])
                logging.getLogger().warning("marker-log-%s", event["i"])
                print("x" * 100000)  # more than a pipe buffer
                print("marker-end-%s" % event["i"], end="")
                return event["i"]
            """}
        seen = {}

        def on_post(post, stdout_text):
            i = post.body.decode()
            deadline = time.time() + 5
            while "marker-end-%s" % i not in stdout_text() and time.time() < deadline:
                time.sleep(0.01)
            text = stdout_text()
            seen[i] = all(m % i in text for m in ("marker-print-%s", "marker-log-%s", "marker-end-%s"))

        result = run_runtime(files, "app.handler", [Invocation({"i": 1}), Invocation({"i": 2})], on_post=on_post)
        self.assertEqual(seen, {"1": True, "2": True}, result)
        self.assertRegex(result.stdout, r"marker-print-1\n\[WARNING\]\t%s\t[-0-9a-f]+\tmarker-log-1\n" % TIMESTAMP)


if __name__ == "__main__":
    unittest.main()
