"""Handler resolution and every init error: POST /runtime/init/error with the type header, exit 1."""

import sys
import unittest

from .fake_runtime_api import Invocation, run_runtime

ECHO = """
def handler(event, context):
    return {"module": __name__, "event": event}
"""


class HandlerResolutionTests(unittest.TestCase):
    def invoke(self, files, handler):
        inv = Invocation({"n": 1})
        result = run_runtime(files, handler, [inv])
        self.assertTrue(result.api.exhausted, result)
        return result.api.response(inv.request_id).json()

    def test_module_at_task_root(self):
        self.assertEqual(self.invoke({"app.py": ECHO}, "app.handler"), {"module": "app", "event": {"n": 1}})

    def test_package_with_dots(self):
        files = {"pkg/__init__.py": "", "pkg/sub/__init__.py": "", "pkg/sub/mod.py": ECHO}
        self.assertEqual(self.invoke(files, "pkg.sub.mod.handler")["module"], "pkg.sub.mod")

    def test_subdirectory_with_slashes(self):
        files = {"src/__init__.py": "", "src/handlers/__init__.py": "", "src/handlers/api.py": ECHO}
        self.assertEqual(self.invoke(files, "src/handlers/api.handler")["module"], "src.handlers.api")

    def test_subdirectory_without_init_is_namespace_package(self):
        self.assertEqual(self.invoke({"functions/app.py": ECHO}, "functions/app.handler")["module"], "functions.app")

    def test_module_level_code_runs_once_across_invokes(self):
        files = {"app.py": """
            import itertools
            counter = itertools.count(1)
            INIT_RUNS = [1]
            def handler(event, context):
                return {"call": next(counter), "init_runs": len(INIT_RUNS)}
            """}
        invocations = [Invocation(), Invocation()]
        result = run_runtime(files, "app.handler", invocations)
        self.assertEqual(result.api.response(invocations[1].request_id).json(), {"call": 2, "init_runs": 1}, result)

    def test_working_directory_is_task_root(self):
        files = {"app.py": """
            import os
            def handler(event, context):
                return open("data.txt").read()
            """, "data.txt": "local file"}
        self.assertEqual(self.invoke(files, "app.handler"), "local file")


class InitErrorTests(unittest.TestCase):
    def assert_init_error(self, files, handler, error_type, message=None):
        result = run_runtime(files, handler, [Invocation()])
        self.assertEqual(result.exit_code, 1, result)
        self.assertEqual(result.api.next_calls, 0, result)
        post = result.api.init_error
        self.assertEqual(post.headers.get("lambda-runtime-function-error-type"), error_type)
        body = post.json()
        self.assertEqual(sorted(body), ["errorMessage", "errorType", "requestId", "stackTrace"])
        self.assertEqual(body["errorType"], error_type)
        self.assertEqual(body["requestId"], "")
        if message is not None:
            self.assertEqual(body["errorMessage"], message)
        # The runtime also logs it, one line: "[ERROR] Type: message\rTraceback (most recent call last):..."
        self.assertIn("[ERROR] %s: " % error_type, result.stdout)
        self.assertIn("\rTraceback (most recent call last):", result.stdout)
        return body, result

    def test_malformed_handler_name(self):
        self.assert_init_error(
            {"app.py": ECHO}, "handler", "Runtime.MalformedHandlerName",
            "Bad handler 'handler': not enough values to unpack (expected 2, got 1)")

    def test_builtin_module_conflict(self):
        self.assert_init_error(
            {}, "sys.handler", "Runtime.BuiltInModuleConflict", "Cannot use built-in module sys as a handler module")

    def test_missing_module(self):
        body, _ = self.assert_init_error(
            {}, "nothere.handler", "Runtime.ImportModuleError",
            "Unable to import module 'nothere': No module named 'nothere'")
        self.assertEqual(body["stackTrace"], [])

    def test_module_importing_missing_dependency(self):
        self.assert_init_error(
            {"app.py": "import requests_not_installed\n" + ECHO}, "app.handler", "Runtime.ImportModuleError",
            "Unable to import module 'app': No module named 'requests_not_installed'")

    def test_syntax_error(self):
        body, _ = self.assert_init_error({"app.py": "def handler(event, context)\n    return 1\n"},
                                         "app.handler", "Runtime.UserCodeSyntaxError")
        self.assertTrue(body["errorMessage"].startswith("Syntax error in module 'app': "), body)
        self.assertEqual(len(body["stackTrace"]), 1)
        self.assertRegex(body["stackTrace"][0], r'^  File ".*/app\.py" Line 1\n    def handler\(event, context\)')

    def test_handler_not_found(self):
        self.assert_init_error({"app.py": ECHO}, "app.missing", "Runtime.HandlerNotFound",
                               "Handler 'missing' missing on module 'app'")

    def test_handler_not_found_keeps_slash_module_name(self):
        self.assert_init_error({"lib/app.py": ECHO}, "lib/app.nope", "Runtime.HandlerNotFound",
                               "Handler 'nope' missing on module 'lib/app'")

    def test_exception_at_import_reports_its_class(self):
        body, result = self.assert_init_error(
            {"app.py": "raise ValueError('bad config')\n"}, "app.handler", "ValueError", "bad config")
        self.assertTrue(any('app.py", line 1, in <module>' in frame for frame in body["stackTrace"]), body)
        self.assertFalse(any("bootstrap.py" in frame for frame in body["stackTrace"]), body)

    def test_sys_exit_at_import_exits_with_its_code(self):
        result = run_runtime({"app.py": "import sys\nsys.exit(7)\n"}, "app.handler", [Invocation()])
        self.assertEqual(result.exit_code, 7, result)
        self.assertEqual(result.api.posts, [])
        self.assertEqual(result.api.next_calls, 0)


if __name__ == "__main__":
    unittest.main()
