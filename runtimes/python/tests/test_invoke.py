"""Invokes: event decoding, result marshalling, error bodies, context, trace id, connection reuse."""

import json
import time
import unittest

from .fake_runtime_api import Invocation, run_runtime

ECHO_EVENT = """
def handler(event, context):
    return {"type": type(event).__name__, "event": event if not isinstance(event, bytes) else event.decode()}
"""


class EventTests(unittest.TestCase):
    def run_events(self, invocations):
        result = run_runtime({"app.py": ECHO_EVENT}, "app.handler", invocations)
        self.assertTrue(result.api.exhausted, result)
        return [result.api.response(i.request_id).json() for i in invocations]

    def test_json_content_type_is_decoded_other_types_are_raw_bytes(self):
        invocations = [
            Invocation(b'{"a": [1, 2.5, "x"]}', "application/json"),
            Invocation(b'{"a": 1}', "application/octet-stream"),
            Invocation(b'{"a": 1}', "application/json; charset=utf-8"),
            Invocation(b'plain', "text/plain"),
            Invocation(b'{"a": 1}', None),
        ]
        self.assertEqual(self.run_events(invocations), [
            {"type": "dict", "event": {"a": [1, 2.5, "x"]}},
            {"type": "bytes", "event": '{"a": 1}'},
            {"type": "bytes", "event": '{"a": 1}'},
            {"type": "bytes", "event": "plain"},
            {"type": "bytes", "event": '{"a": 1}'},
        ])

    def test_json_scalars_and_unicode(self):
        invocations = [Invocation(b'"caf\\u00e9"'), Invocation(b"null"), Invocation('["ü€"]'.encode("utf-8"))]
        self.assertEqual(self.run_events(invocations), [
            {"type": "str", "event": "café"},
            {"type": "NoneType", "event": None},
            {"type": "list", "event": ["ü€"]},
        ])

    def test_invalid_json_is_an_unmarshal_error(self):
        bad = Invocation(b"{not json", "application/json")
        result = run_runtime({"app.py": ECHO_EVENT}, "app.handler", [bad])
        body = result.api.error(bad.request_id).json()
        self.assertEqual(body["errorType"], "Runtime.UnmarshalError", result)
        self.assertTrue(body["errorMessage"].startswith("Unable to unmarshal input: "), body)
        self.assertEqual(body["stackTrace"], [])


class ResultTests(unittest.TestCase):
    RESULTS = """
        import decimal
        def handler(event, context):
            kind = event["kind"]
            if kind == "dict": return {"a": [1, True, None], "b": "x"}
            if kind == "none": return None
            if kind == "bytes": return b"\\x00\\xffraw"
            if kind == "str": return "caf\\u00e9"
            if kind == "decimal": return {"price": decimal.Decimal("19.90"), "big": decimal.Decimal("12345678901234567890.123456789"),
                                          "exp": decimal.Decimal("1E+3"), "neg": decimal.Decimal("-0.5"), "nan": decimal.Decimal("NaN"),
                                          "text": "@@not-a-mark@@"}
            if kind == "set": return {1, 2}
            if kind == "big": return "x" * (5 * 1024 * 1024)
        """

    def invoke(self, *kinds):
        invocations = [Invocation({"kind": kind}) for kind in kinds]
        result = run_runtime({"app.py": self.RESULTS}, "app.handler", invocations)
        self.assertTrue(result.api.exhausted, result)
        return result, invocations

    def test_json_results(self):
        result, inv = self.invoke("dict", "none", "str")
        posts = [result.api.response(i.request_id) for i in inv]
        self.assertEqual([p.headers["content-type"] for p in posts], ["application/json"] * 3)
        self.assertEqual(posts[0].json(), {"a": [1, True, None], "b": "x"})
        self.assertEqual(posts[1].body, b"null")
        self.assertEqual(posts[2].json(), "café")

    def test_bytes_are_posted_raw_as_application_unknown(self):
        result, inv = self.invoke("bytes")
        post = result.api.response(inv[0].request_id)
        self.assertEqual(post.body, b"\x00\xffraw")
        self.assertEqual(post.headers["content-type"], "application/unknown")

    def test_decimal_is_an_exact_json_number(self):
        result, inv = self.invoke("decimal")
        body = result.api.response(inv[0].request_id).body.decode()
        self.assertIn('"price": 19.90', body)
        self.assertIn('"big": 12345678901234567890.123456789', body)
        self.assertIn('"exp": 1E+3', body)
        self.assertIn('"neg": -0.5', body)
        self.assertIn('"nan": NaN', body)
        self.assertEqual(json.loads(body)["text"], "@@not-a-mark@@")

    def test_unserializable_result_is_a_marshal_error(self):
        result, inv = self.invoke("set")
        body = result.api.error(inv[0].request_id).json()
        self.assertEqual(body["errorType"], "Runtime.MarshalError")
        self.assertEqual(body["errorMessage"], "Unable to marshal response: Object of type set is not JSON serializable")

    def test_five_megabyte_response(self):
        result, inv = self.invoke("big")
        post = result.api.response(inv[0].request_id)
        self.assertEqual(len(post.body), 5 * 1024 * 1024 + 2)
        self.assertEqual(post.headers["content-length"], str(5 * 1024 * 1024 + 2))


class ErrorTests(unittest.TestCase):
    FAILING = """
        def helper(n):
            raise ValueError("bad value %d\\nsecond line" % n)

        def handler(event, context):
            if event.get("fail"):
                helper(event["n"])
            return "ok"
        """

    def test_error_body_shape_no_error_type_header_and_runtime_continues(self):
        failing = Invocation({"fail": True, "n": 42})
        after = Invocation({})
        result = run_runtime({"app.py": self.FAILING}, "app.handler", [failing, after])
        post = result.api.error(failing.request_id)
        self.assertNotIn("lambda-runtime-function-error-type", post.headers)
        self.assertEqual(post.headers["content-type"], "application/json")
        body = post.json()
        self.assertEqual(list(body), ["errorMessage", "errorType", "requestId", "stackTrace"])
        self.assertEqual(body["errorMessage"], "bad value 42\nsecond line")
        self.assertEqual(body["errorType"], "ValueError")
        self.assertEqual(body["requestId"], failing.request_id)
        trace = body["stackTrace"]
        self.assertEqual(len(trace), 2, trace)
        self.assertRegex(trace[0], r'^  File ".*/task/app\.py", line 7, in handler\n    helper\(event\["n"\]\)\n$')
        self.assertRegex(trace[1], r'^  File ".*/task/app\.py", line 3, in helper\n    raise ValueError\(.*\)\n$')
        # The next invoke is served by the same process.
        self.assertEqual(result.api.response(after.request_id).json(), "ok")
        # Logged as one line, indentation as no-break spaces, as AWS writes it.
        line = next(l for l in result.stdout.split("\n") if l.startswith("[ERROR]"))
        self.assertTrue(line.startswith("[ERROR] ValueError: bad value 42\rsecond line\rTraceback (most recent call last):\r"
                                        "\u00a0\u00a0File "), repr(line))

    def test_sys_exit_in_handler_ends_the_process_without_a_post(self):
        files = {"app.py": """
            import sys
            def handler(event, context):
                print("before exit")
                sys.exit(3)
            """}
        inv = Invocation()
        result = run_runtime(files, "app.handler", [inv, Invocation()])
        self.assertEqual(result.exit_code, 3, result)
        self.assertEqual(result.api.posts, [])
        self.assertEqual(result.api.next_calls, 1)
        self.assertIn("before exit\n", result.stdout)

    def test_custom_exception_and_non_callable_handler(self):
        files = {"app.py": """
            class PaymentDeclined(Exception):
                pass
            def handler(event, context):
                raise PaymentDeclined()
            not_callable = 5
            """}
        inv = Invocation()
        result = run_runtime(files, "app.handler", [inv])
        body = result.api.error(inv.request_id).json()
        self.assertEqual((body["errorType"], body["errorMessage"]), ("PaymentDeclined", ""))
        inv = Invocation()
        result = run_runtime(files, "app.not_callable", [inv])
        body = result.api.error(inv.request_id).json()
        self.assertEqual((body["errorType"], body["errorMessage"]), ("TypeError", "'int' object is not callable"))


class ContextTests(unittest.TestCase):
    CONTEXT = """
        import os
        def handler(event, context):
            cc = context.client_context
            return {
                "aws_request_id": context.aws_request_id,
                "function_name": context.function_name,
                "function_version": context.function_version,
                "memory_limit_in_mb": context.memory_limit_in_mb,
                "invoked_function_arn": context.invoked_function_arn,
                "log_group_name": context.log_group_name,
                "log_stream_name": context.log_stream_name,
                "remaining": context.get_remaining_time_in_millis(),
                "identity": [context.identity.cognito_identity_id, context.identity.cognito_identity_pool_id],
                "client_context": None if cc is None else {
                    "client": None if cc.client is None else [cc.client.installation_id, cc.client.app_title,
                        cc.client.app_version_name, cc.client.app_version_code, cc.client.app_package_name],
                    "custom": cc.custom, "env": cc.env},
                "tenant_id": context.tenant_id,
                "trace": os.environ.get("_X_AMZN_TRACE_ID"),
            }
        """

    def test_fields_from_env_and_headers(self):
        now = int(time.time() * 1000)
        client_context = {
            "client": {"installation_id": "inst-1", "app_title": "Shop", "app_version_name": "1.2",
                       "app_version_code": "12", "app_package_name": "com.example.shop"},
            "custom": {"k": "v"}, "env": {"platform": "Android"},
        }
        full = Invocation({}, deadline_ms=now + 10000, arn="arn:aws:lambda:us-east-1:000000000000:function:fn:prod", headers={
            "Lambda-Runtime-Client-Context": json.dumps(client_context),
            "Lambda-Runtime-Cognito-Identity": json.dumps({"cognitoIdentityId": "us-east-1:abc", "cognitoIdentityPoolId": "us-east-1:pool"}),
            "Lambda-Runtime-Trace-Id": "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1",
            "Lambda-Runtime-Aws-Tenant-Id": "tenant-7",
        })
        bare = Invocation({}, deadline_ms=now - 5000)
        result = run_runtime({"app.py": self.CONTEXT}, "app.handler", [full, bare])
        first = result.api.response(full.request_id).json()
        second = result.api.response(bare.request_id).json()

        self.assertTrue(5000 < first.pop("remaining") <= 10000)
        self.assertEqual(first, {
            "aws_request_id": full.request_id,
            "function_name": "fn",
            "function_version": "$LATEST",
            "memory_limit_in_mb": "256",
            "invoked_function_arn": "arn:aws:lambda:us-east-1:000000000000:function:fn:prod",
            "log_group_name": "/aws/lambda/fn",
            "log_stream_name": "2025/01/01/[$LATEST]0123456789abcdef0123456789abcdef",
            "identity": ["us-east-1:abc", "us-east-1:pool"],
            "client_context": {"client": ["inst-1", "Shop", "1.2", "12", "com.example.shop"],
                               "custom": {"k": "v"}, "env": {"platform": "Android"}},
            "tenant_id": "tenant-7",
            "trace": "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1",
        })
        # Without the optional headers: no client context, empty identity, trace id cleared.
        self.assertEqual(second["remaining"], 0)
        self.assertIsNone(second["client_context"])
        self.assertEqual(second["identity"], [None, None])
        self.assertIsNone(second["tenant_id"])
        self.assertIsNone(second["trace"])

    def test_client_context_without_client(self):
        inv = Invocation({}, headers={"Lambda-Runtime-Client-Context": json.dumps({"custom": {"a": 1}})})
        result = run_runtime({"app.py": self.CONTEXT}, "app.handler", [inv])
        self.assertEqual(result.api.response(inv.request_id).json()["client_context"],
                         {"client": None, "custom": {"a": 1}, "env": None})

    def test_non_ascii_client_context_is_utf8(self):
        raw = json.dumps({"custom": {"name": "Zoë ☃"}}, ensure_ascii=False).encode("utf-8")
        # The fake writes header text as Latin-1, so this puts the UTF-8 bytes on the wire.
        inv = Invocation({}, headers={"Lambda-Runtime-Client-Context": raw.decode("latin-1")})
        result = run_runtime({"app.py": self.CONTEXT}, "app.handler", [inv])
        self.assertEqual(result.api.response(inv.request_id).json()["client_context"]["custom"], {"name": "Zoë ☃"})

    def test_bad_client_context_json_is_an_invoke_error(self):
        inv = Invocation({}, headers={"Lambda-Runtime-Client-Context": "{nope"})
        result = run_runtime({"app.py": self.CONTEXT}, "app.handler", [inv])
        body = result.api.error(inv.request_id).json()
        self.assertEqual(body["errorType"], "Runtime.LambdaContextUnmarshalError")
        self.assertTrue(body["errorMessage"].startswith("Unable to parse Client Context JSON: "), body)


class RuntimeApiTests(unittest.TestCase):
    def test_one_connection_for_all_invocations(self):
        invocations = [Invocation({"i": i}) for i in range(4)]
        files = {"app.py": "def handler(event, context):\n    return event['i']\n"}
        result = run_runtime(files, "app.handler", invocations)
        self.assertEqual([result.api.response(i.request_id).body for i in invocations], [b"0", b"1", b"2", b"3"])
        self.assertEqual(result.api.next_calls, 5)  # the fifth gets 500 and the runtime exits
        self.assertEqual(result.api.connections, 1, result)
        self.assertEqual(result.exit_code, 1)
        self.assertIn("Runtime API failure", result.stderr)

    def test_rejected_response_is_reported_and_the_runtime_continues(self):
        # Lamina answers 413 to a response over 6 MB and fails the invoke itself.
        def on_post(post, stdout_text):
            if post.body == b'"too big"':
                return 413, b'{"errorType":"RequestEntityTooLarge","errorMessage":"Exceeded maximum allowed payload size (6291556 bytes)."}'
            return None

        invocations = [Invocation({"r": "too big"}), Invocation({"r": "fine"})]
        files = {"app.py": "def handler(event, context):\n    return event['r']\n"}
        result = run_runtime(files, "app.handler", invocations, on_post=on_post)
        self.assertEqual(result.api.response(invocations[1].request_id).body, b'"fine"', result)
        self.assertIn("returned 413", result.stderr)
        self.assertEqual(result.api.connections, 1)


if __name__ == "__main__":
    unittest.main()
