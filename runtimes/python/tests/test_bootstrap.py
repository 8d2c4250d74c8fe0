"""The sh bootstrap (interpreter, AWS_EXECUTION_ENV, exec wrapper) and the sys.path it leads to."""

import os
import sys
import unittest

from .fake_runtime_api import RUNTIME_DIR, Invocation, run_runtime

EXPECTED_ENV = "AWS_Lambda_python%d.%d" % sys.version_info[:2]

REPORT = """
import os, sys
def handler(event, context):
    return {"exec_env": os.environ.get("AWS_EXECUTION_ENV"), "wrapped": os.environ.get("WRAPPED_ARGS"),
            "path": sys.path, "cwd": os.getcwd(), "executable": sys.executable}
"""


def report(result, invocation):
    if not result.api.exhausted:
        raise AssertionError(str(result))
    return result.api.response(invocation.request_id).json()


class InterpreterTests(unittest.TestCase):
    def test_execution_env_from_versioned_interpreter_name(self):
        inv = Invocation()
        self.assertEqual(report(run_runtime({"app.py": REPORT}, "app.handler", [inv]), inv)["exec_env"], EXPECTED_ENV)

    def test_execution_env_probed_when_interpreter_name_has_no_version(self):
        inv = Invocation()
        files = {"app.py": REPORT}
        # A link named plain "python3": the bootstrap must ask the interpreter for its version.
        env = {"_LAMINA_INTERPRETER": "{tmp}/bin/python3"}
        result = run_runtime(dict(files, **{"../bin/.keep": ""}), "app.handler", [inv], env,
                             before_start=lambda tmp: os.symlink(sys.executable, os.path.join(tmp, "bin", "python3")))
        self.assertEqual(report(result, inv)["exec_env"], EXPECTED_ENV)

    def test_working_directory_is_task_root(self):
        inv = Invocation()
        result = run_runtime({"app.py": REPORT}, "app.handler", [inv])
        self.assertEqual(os.path.basename(report(result, inv)["cwd"]), "task")


class ExecWrapperTests(unittest.TestCase):
    WRAPPER = '#!/bin/sh\nexport WRAPPED_ARGS="$*"\nexec "$@"\n'

    def test_wrapper_gets_the_interpreter_command_line(self):
        inv = Invocation()
        files = {"app.py": REPORT, "../wrapper.sh": self.WRAPPER}
        result = run_runtime(files, "app.handler", [inv], {"AWS_LAMBDA_EXEC_WRAPPER": "{tmp}/wrapper.sh"},
                             before_start=lambda tmp: os.chmod(os.path.join(tmp, "wrapper.sh"), 0o755))
        data = report(result, inv)
        args = data["wrapped"].split(" ")
        self.assertEqual(args[1:], ["-u", "-S", os.path.join(RUNTIME_DIR, "bootstrap.py")])
        self.assertEqual(os.path.realpath(args[0]), os.path.realpath(sys.executable))
        self.assertEqual(data["exec_env"], EXPECTED_ENV)

    def test_missing_wrapper_exits_127(self):
        result = run_runtime({"app.py": REPORT}, "app.handler", [Invocation()], {"AWS_LAMBDA_EXEC_WRAPPER": "{tmp}/nope.sh"})
        self.assertEqual(result.exit_code, 127, result)
        self.assertTrue(result.stdout.endswith("/nope.sh: does not exist\n"), result)
        self.assertEqual(result.api.next_calls, 0)

    def test_non_executable_wrapper_exits_126(self):
        files = {"app.py": REPORT, "../wrapper.sh": self.WRAPPER}
        result = run_runtime(files, "app.handler", [Invocation()], {"AWS_LAMBDA_EXEC_WRAPPER": "{tmp}/wrapper.sh"})
        self.assertEqual(result.exit_code, 126, result)
        self.assertTrue(result.stdout.endswith("/wrapper.sh: is not an executable\n"), result)


class SysPathTests(unittest.TestCase):
    # A fake bundled SDK: boto3 and botocore in the runtime's package directory.
    PACKAGES = {
        "../packages/boto3/__init__.py": "ORIGIN = 'runtime'\n",
        "../packages/botocore/__init__.py": "ORIGIN = 'runtime'\n",
    }
    IMPORTS = """
        import os, sys
        def handler(event, context):
            import boto3, botocore
            return {"boto3": boto3.ORIGIN, "botocore": botocore.ORIGIN, "path": sys.path}
        """

    def run_path(self, files, env=None):
        inv = Invocation()
        all_env = {"_LAMINA_PYTHON_PACKAGES": "{tmp}/packages"}
        all_env.update(env or {})
        result = run_runtime(dict(self.PACKAGES, **files), "app.handler", [inv], all_env)
        return report(result, inv)

    def test_order_without_pythonpath(self):
        data = self.run_path({"app.py": self.IMPORTS})
        path = data["path"]
        version = "%d.%d" % sys.version_info[:2]
        self.assertEqual(path[0].rsplit("/", 1)[-1], "task")
        self.assertEqual(path[1:3], ["/opt/python/lib/python%s/site-packages" % version, "/opt/python"])
        self.assertEqual(path[-1].rsplit("/", 1)[-1], "packages")
        # The standard library sits between them; the runtime's own directory is gone.
        self.assertTrue(any(os.path.isfile(os.path.join(p, "json", "__init__.py")) for p in path[3:-1]), path)
        self.assertNotIn(RUNTIME_DIR, [os.path.realpath(p) for p in path])
        # -S: no host site-packages (the host interpreter's may hold anything).
        self.assertEqual([p for p in path if p.endswith(("site-packages", "dist-packages")) and not p.startswith("/opt/")], [])
        self.assertEqual((data["boto3"], data["botocore"]), ("runtime", "runtime"))

    def test_task_root_shadows_bundled_packages(self):
        data = self.run_path({"app.py": self.IMPORTS, "boto3/__init__.py": "ORIGIN = 'task'\n"})
        self.assertEqual((data["boto3"], data["botocore"]), ("task", "runtime"))

    def test_pythonpath_is_respected_as_aws_does(self):
        files = {"app.py": self.IMPORTS, "../extra/botocore/__init__.py": "ORIGIN = 'pythonpath'\n"}
        data = self.run_path(files, {"PYTHONPATH": "{tmp}/extra"})
        path = data["path"]
        self.assertEqual(path[0].rsplit("/", 1)[-1], "task")
        self.assertEqual(path[1].rsplit("/", 1)[-1], "extra")
        self.assertFalse(any(p.startswith("/opt/python") for p in path), path)
        self.assertEqual(path[-1].rsplit("/", 1)[-1], "packages")
        self.assertEqual((data["boto3"], data["botocore"]), ("runtime", "pythonpath"))

    def test_pth_files_in_task_root_and_site_builtins(self):
        files = {
            "app.py": """
                import sys
                def handler(event, context):
                    import vendored_mod
                    return {"vendored": vendored_mod.VALUE, "path": sys.path, "has_exit": callable(exit) and callable(quit)}
                """,
            "extra.pth": "vendor\n",
            "vendor/vendored_mod.py": "VALUE = 'from pth'\n",
        }
        data = self.run_path(files)
        self.assertEqual(data["vendored"], "from pth")
        self.assertTrue(data["has_exit"])
        self.assertLess(data["path"].index(next(p for p in data["path"] if p.endswith("/task/vendor"))), len(data["path"]) - 1)


if __name__ == "__main__":
    unittest.main()
