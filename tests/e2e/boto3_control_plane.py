#!/usr/bin/env python3
"""The Lambda control-plane lifecycle against a Lamina server, driven by boto3 only.

Reads the endpoint and credentials from AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and
AWS_REGION (LAMINA_ACCOUNT_ID overrides the expected account, default 000000000000). Every step checks
concrete values; the first failed check prints what was expected and exits 1.

    AWS_ENDPOINT_URL=http://127.0.0.1:9600 AWS_ACCESS_KEY_ID=... AWS_SECRET_ACCESS_KEY=... AWS_REGION=us-east-1 \
        python3 tests/e2e/boto3_control_plane.py
"""

import base64
import concurrent.futures
import hashlib
import io
import os
import sys
import time
import traceback
import urllib.request
import uuid
import zipfile

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

ROLE = "arn:aws:iam::000000000000:role/lambda-role"
RUNTIME = "nodejs20.x"
PAGINATED_FUNCTIONS = 120


class CheckFailed(Exception):
    pass


def check(condition, message):
    if not condition:
        raise CheckFailed(message)


def eq(actual, expected, what):
    if actual != expected:
        raise CheckFailed(f"{what}: expected {expected!r}, got {actual!r}")


def status_of(response):
    return response["ResponseMetadata"]["HTTPStatusCode"]


def expect_error(code, status, call, message=None, **kwargs):
    """Runs call(**kwargs), which must fail with the given AWS error code and HTTP status."""
    try:
        call(**kwargs)
    except ClientError as e:
        error = e.response["Error"]
        eq(error["Code"], code, f"{call.__name__} error code")
        eq(e.response["ResponseMetadata"]["HTTPStatusCode"], status, f"{call.__name__} HTTP status")
        if message is not None:
            eq(error["Message"], message, f"{call.__name__} error message")
        return error
    raise CheckFailed(f"{call.__name__}({kwargs}) succeeded; expected {code}")


def zip_of(files):
    """A deflated .zip; entries get a fixed timestamp so the same files always give the same bytes."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            entry = zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0))
            entry.external_attr = 0o100644 << 16  # a regular file, rw-r--r--
            archive.writestr(entry, content, zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


def sha256_b64(data):
    return base64.b64encode(hashlib.sha256(data).digest()).decode()


def handler_zip(answer):
    return zip_of({"index.js": f"exports.handler = async () => ({{ answer: {answer} }});\n"})


class Scenario:
    def __init__(self):
        self.endpoint = os.environ["AWS_ENDPOINT_URL"]
        self.region = os.environ["AWS_REGION"]
        self.key = os.environ["AWS_ACCESS_KEY_ID"]
        self.secret = os.environ["AWS_SECRET_ACCESS_KEY"]
        self.account = os.environ.get("LAMINA_ACCOUNT_ID", "000000000000")
        self.run = uuid.uuid4().hex[:8]
        self.lam = self.client(self.key, self.secret)
        self.created = []

    def client(self, key, secret):
        return boto3.client(
            "lambda",
            endpoint_url=self.endpoint,
            region_name=self.region,
            aws_access_key_id=key,
            aws_secret_access_key=secret,
            config=Config(retries={"max_attempts": 1, "mode": "standard"}, read_timeout=120),
        )

    def name(self, suffix):
        return f"b3-{self.run}-{suffix}"

    def arn(self, name, qualifier=None):
        base = f"arn:aws:lambda:{self.region}:{self.account}:function:{name}"
        return base if qualifier is None else f"{base}:{qualifier}"

    def layer_arn(self, name, version=None):
        base = f"arn:aws:lambda:{self.region}:{self.account}:layer:{name}"
        return base if version is None else f"{base}:{version}"

    def create(self, name, zip_bytes, **extra):
        response = self.lam.create_function(
            FunctionName=name, Runtime=RUNTIME, Role=ROLE, Handler="index.handler", Code={"ZipFile": zip_bytes}, **extra)
        self.created.append(name)
        return response

    # ---------------------------------------------------------------- steps

    def lifecycle(self):
        lam = self.lam
        name = self.name("main")
        code_v1 = handler_zip(1)
        created = self.create(
            name, code_v1, Description="boto3 lifecycle", MemorySize=256, Timeout=5,
            Environment={"Variables": {"STAGE": "one", "MODE": "e2e"}},
            Tags={"team": "lamina", "suite": "boto3"},
            DurableConfig={"RetentionPeriodInDays": 7, "ExecutionTimeout": 900})
        eq(status_of(created), 201, "CreateFunction status")
        check(len(created["ResponseMetadata"].get("RequestId", "")) > 0, "CreateFunction must carry x-amzn-RequestId")
        eq(created["FunctionArn"], self.arn(name), "CreateFunction FunctionArn")
        eq(created["FunctionName"], name, "CreateFunction FunctionName")
        eq(created["Version"], "$LATEST", "CreateFunction Version")
        eq(created["CodeSha256"], sha256_b64(code_v1), "CreateFunction CodeSha256")
        eq(created["CodeSize"], len(code_v1), "CreateFunction CodeSize")
        eq((created["MemorySize"], created["Timeout"]), (256, 5), "CreateFunction MemorySize/Timeout")
        eq(created["Environment"]["Variables"], {"STAGE": "one", "MODE": "e2e"}, "CreateFunction Environment")
        eq(created["DurableConfig"], {"RetentionPeriodInDays": 7, "ExecutionTimeout": 900}, "CreateFunction DurableConfig")
        eq(created["PackageType"], "Zip", "CreateFunction PackageType")
        eq(created["Architectures"], ["x86_64"], "CreateFunction Architectures")

        lam.get_waiter("function_active_v2").wait(FunctionName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 10})

        got = lam.get_function(FunctionName=name)
        config = got["Configuration"]
        eq(config["State"], "Active", "GetFunction State")
        eq(config["LastUpdateStatus"], "Successful", "GetFunction LastUpdateStatus")
        eq(config["FunctionArn"], self.arn(name), "GetFunction FunctionArn")
        eq(got["Tags"], {"team": "lamina", "suite": "boto3"}, "GetFunction Tags")
        eq(got["Code"]["RepositoryType"], "S3", "GetFunction Code.RepositoryType")
        with urllib.request.urlopen(got["Code"]["Location"], timeout=30) as download:
            eq(download.read(), code_v1, "bytes at Code.Location")

        only_config = lam.get_function_configuration(FunctionName=name)
        eq(only_config["RevisionId"], config["RevisionId"], "GetFunctionConfiguration RevisionId")
        eq(only_config["DurableConfig"]["ExecutionTimeout"], 900, "GetFunctionConfiguration DurableConfig")

        updated = lam.update_function_configuration(
            FunctionName=name, RevisionId=config["RevisionId"], MemorySize=1024, Timeout=30,
            Environment={"Variables": {"STAGE": "two"}})
        eq((updated["MemorySize"], updated["Timeout"]), (1024, 30), "UpdateFunctionConfiguration MemorySize/Timeout")
        eq(updated["Environment"]["Variables"], {"STAGE": "two"}, "UpdateFunctionConfiguration Environment")
        check(updated["RevisionId"] != config["RevisionId"], "UpdateFunctionConfiguration must change RevisionId")
        lam.get_waiter("function_updated_v2").wait(FunctionName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 10})

        expect_error(
            "PreconditionFailedException", 412, lam.update_function_configuration,
            message="The Revision Id provided does not match the latest Revision Id. "
                    "Call the GetFunction/GetAlias API to retrieve the latest Revision Id",
            FunctionName=name, RevisionId=config["RevisionId"], Timeout=31)

        # Publishing twice without a change returns the same version.
        first = lam.publish_version(FunctionName=name, Description="first")
        eq(status_of(first), 201, "PublishVersion status")
        eq(first["Version"], "1", "PublishVersion Version")
        eq(first["FunctionArn"], self.arn(name, "1"), "PublishVersion FunctionArn")
        eq(first["MemorySize"], 1024, "published MemorySize")
        again = lam.publish_version(FunctionName=name)
        eq(again["Version"], "1", "PublishVersion without changes")
        eq(again["RevisionId"], first["RevisionId"], "PublishVersion without changes RevisionId")

        code_v2 = handler_zip(2)
        new_code = lam.update_function_code(FunctionName=name, ZipFile=code_v2)
        eq(new_code["CodeSha256"], sha256_b64(code_v2), "UpdateFunctionCode CodeSha256")
        eq(new_code["Version"], "$LATEST", "UpdateFunctionCode Version")
        lam.get_waiter("function_updated_v2").wait(FunctionName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 10})
        second = lam.publish_version(FunctionName=name, CodeSha256=sha256_b64(code_v2))
        eq(second["Version"], "2", "second PublishVersion")
        eq(second["CodeSha256"], sha256_b64(code_v2), "version 2 CodeSha256")

        v1 = lam.get_function(FunctionName=name, Qualifier="1")["Configuration"]
        eq(v1["CodeSha256"], sha256_b64(code_v1), "version 1 keeps its code")
        eq(v1["FunctionArn"], self.arn(name, "1"), "version 1 FunctionArn")

        versions = lam.list_versions_by_function(FunctionName=name)["Versions"]
        eq([v["Version"] for v in versions], ["$LATEST", "1", "2"], "ListVersionsByFunction")
        eq([v["FunctionArn"] for v in versions], [self.arn(name, q) for q in ("$LATEST", "1", "2")], "ListVersionsByFunction ARNs")

        self.aliases(name)

        deleted = lam.delete_function(FunctionName=name, Qualifier="1")
        check(status_of(deleted) in (200, 204), f"DeleteFunction(version) status {status_of(deleted)}")
        eq([v["Version"] for v in lam.list_versions_by_function(FunctionName=name)["Versions"]], ["$LATEST", "2"],
           "versions after deleting 1")
        expect_error("ResourceNotFoundException", 404, lam.get_function_configuration,
                     message=f"Function not found: {self.arn(name, '1')}", FunctionName=name, Qualifier="1")
        expect_error("InvalidParameterValueException", 400, lam.delete_function,
                     message="$LATEST version cannot be deleted without deleting the function.",
                     FunctionName=name, Qualifier="$LATEST")

        self.tags_and_concurrency(name)
        return name

    def aliases(self, name):
        lam = self.lam
        alias_arn = self.arn(name, "live")
        created = lam.create_alias(FunctionName=name, Name="live", FunctionVersion="1", Description="canary",
                                   RoutingConfig={"AdditionalVersionWeights": {"2": 0.1}})
        eq(status_of(created), 201, "CreateAlias status")
        eq(created["AliasArn"], alias_arn, "CreateAlias AliasArn")
        eq(created["RoutingConfig"], {"AdditionalVersionWeights": {"2": 0.1}}, "CreateAlias RoutingConfig")
        expect_error("ResourceConflictException", 409, lam.create_alias, message=f"Alias already exists: {alias_arn}",
                     FunctionName=name, Name="live", FunctionVersion="1")

        got = lam.get_alias(FunctionName=name, Name="live")
        eq((got["FunctionVersion"], got["Description"]), ("1", "canary"), "GetAlias")
        eq(lam.get_function_configuration(FunctionName=name, Qualifier="live")["FunctionArn"], alias_arn,
           "GetFunctionConfiguration through the alias")

        shifted = lam.update_alias(FunctionName=name, Name="live", RevisionId=got["RevisionId"],
                                   RoutingConfig={"AdditionalVersionWeights": {"2": 0.5}})
        eq(shifted["RoutingConfig"]["AdditionalVersionWeights"], {"2": 0.5}, "UpdateAlias weights")
        expect_error("PreconditionFailedException", 412, lam.update_alias,
                     FunctionName=name, Name="live", RevisionId=got["RevisionId"], Description="stale")
        expect_error("ResourceConflictException", 409, lam.delete_function,
                     message="Unable to delete version because the following aliases reference it: [live]",
                     FunctionName=name, Qualifier="1")

        promoted = lam.update_alias(FunctionName=name, Name="live", FunctionVersion="2", RoutingConfig={"AdditionalVersionWeights": {}})
        eq(promoted["FunctionVersion"], "2", "UpdateAlias FunctionVersion")
        check("RoutingConfig" not in promoted, f"empty RoutingConfig must be absent, got {promoted.get('RoutingConfig')}")

        listed = lam.list_aliases(FunctionName=name)["Aliases"]
        eq([(a["Name"], a["FunctionVersion"]) for a in listed], [("live", "2")], "ListAliases")

        eq(status_of(lam.delete_alias(FunctionName=name, Name="live")), 204, "DeleteAlias status")
        expect_error("ResourceNotFoundException", 404, lam.get_alias, message=f"Cannot find alias arn: {alias_arn}",
                     FunctionName=name, Name="live")

    def tags_and_concurrency(self, name):
        lam = self.lam
        arn = self.arn(name)
        eq(status_of(lam.tag_resource(Resource=arn, Tags={"owner": "qa", "suite": "b3"})), 204, "TagResource status")
        eq(status_of(lam.untag_resource(Resource=arn, TagKeys=["team"])), 204, "UntagResource status")
        eq(lam.list_tags(Resource=arn)["Tags"], {"suite": "b3", "owner": "qa"}, "ListTags")
        eq(lam.get_function(FunctionName=name)["Tags"], {"suite": "b3", "owner": "qa"}, "GetFunction Tags after tagging")
        expect_error("InvalidParameterValueException", 400, lam.tag_resource,
                     message="Tags on function aliases and versions are not supported. Please specify a function ARN.",
                     Resource=self.arn(name, "2"), Tags={"a": "b"})

        before = lam.get_account_settings()["AccountLimit"]["UnreservedConcurrentExecutions"]
        eq(lam.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=7)["ReservedConcurrentExecutions"], 7,
           "PutFunctionConcurrency")
        eq(lam.get_function_concurrency(FunctionName=name).get("ReservedConcurrentExecutions"), 7, "GetFunctionConcurrency")
        eq(lam.get_function(FunctionName=name)["Concurrency"], {"ReservedConcurrentExecutions": 7}, "GetFunction Concurrency")
        eq(lam.get_account_settings()["AccountLimit"]["UnreservedConcurrentExecutions"], before - 7, "Unreserved after reserving 7")

        provisioned = lam.put_provisioned_concurrency_config(FunctionName=name, Qualifier="2", ProvisionedConcurrentExecutions=2)
        eq(status_of(provisioned), 202, "PutProvisionedConcurrencyConfig status")
        eq(provisioned["RequestedProvisionedConcurrentExecutions"], 2, "PutProvisionedConcurrencyConfig Requested")
        check(provisioned["Status"] in ("IN_PROGRESS", "READY"), f"provisioned Status {provisioned['Status']}")
        eq(lam.get_provisioned_concurrency_config(FunctionName=name, Qualifier="2")["RequestedProvisionedConcurrentExecutions"], 2,
           "GetProvisionedConcurrencyConfig")
        listed = lam.list_provisioned_concurrency_configs(FunctionName=name)["ProvisionedConcurrencyConfigs"]
        eq([(c["FunctionArn"], c["RequestedProvisionedConcurrentExecutions"]) for c in listed], [(self.arn(name, "2"), 2)],
           "ListProvisionedConcurrencyConfigs")
        expect_error("InvalidParameterValueException", 400, lam.put_provisioned_concurrency_config,
                     message="Requested Provisioned Concurrency should not be greater than the reservedConcurrentExecution for function",
                     FunctionName=name, Qualifier="2", ProvisionedConcurrentExecutions=8)
        eq(status_of(lam.delete_provisioned_concurrency_config(FunctionName=name, Qualifier="2")), 204,
           "DeleteProvisionedConcurrencyConfig status")
        expect_error("ProvisionedConcurrencyConfigNotFoundException", 404, lam.get_provisioned_concurrency_config,
                     message="No Provisioned Concurrency Config found for this function", FunctionName=name, Qualifier="2")

        eq(status_of(lam.delete_function_concurrency(FunctionName=name)), 204, "DeleteFunctionConcurrency status")
        check("ReservedConcurrentExecutions" not in lam.get_function_concurrency(FunctionName=name),
              "GetFunctionConcurrency after delete must be empty")
        eq(lam.get_account_settings()["AccountLimit"]["UnreservedConcurrentExecutions"], before, "Unreserved after delete")

    def layers(self):
        lam = self.lam
        layer = f"b3-{self.run}-layer"
        content_1 = zip_of({"nodejs/node_modules/helper/index.js": "module.exports = 1;\n"})
        content_2 = zip_of({"nodejs/node_modules/helper/index.js": "module.exports = 2;\n"})
        first = lam.publish_layer_version(LayerName=layer, Content={"ZipFile": content_1}, CompatibleRuntimes=[RUNTIME],
                                          CompatibleArchitectures=["x86_64"], Description="helper", LicenseInfo="MIT")
        eq(status_of(first), 201, "PublishLayerVersion status")
        eq((first["Version"], first["LayerVersionArn"], first["LayerArn"]), (1, self.layer_arn(layer, 1), self.layer_arn(layer)),
           "PublishLayerVersion identity")
        eq((first["Content"]["CodeSha256"], first["Content"]["CodeSize"]), (sha256_b64(content_1), len(content_1)),
           "PublishLayerVersion Content")
        with urllib.request.urlopen(first["Content"]["Location"], timeout=30) as download:
            eq(download.read(), content_1, "bytes at layer Content.Location")
        second = lam.publish_layer_version(LayerName=layer, Content={"ZipFile": content_2}, CompatibleRuntimes=[RUNTIME])
        eq(second["Version"], 2, "second PublishLayerVersion")

        got = lam.get_layer_version(LayerName=layer, VersionNumber=1)
        eq((got["Description"], got["LicenseInfo"], got["CompatibleRuntimes"]), ("helper", "MIT", [RUNTIME]), "GetLayerVersion")
        by_arn = lam.get_layer_version_by_arn(Arn=self.layer_arn(layer, 2))
        eq((by_arn["Version"], by_arn["Content"]["CodeSha256"]), (2, sha256_b64(content_2)), "GetLayerVersionByArn")

        listed = [l for l in lam.list_layers()["Layers"] if l["LayerName"] == layer]
        eq(len(listed), 1, "ListLayers entries for the layer")
        eq(listed[0]["LatestMatchingVersion"]["Version"], 2, "ListLayers LatestMatchingVersion")
        eq([v["Version"] for v in lam.list_layer_versions(LayerName=layer)["LayerVersions"]], [2, 1], "ListLayerVersions")

        user = self.name("layered")
        created = self.create(user, handler_zip(3), Layers=[self.layer_arn(layer, 1)])
        eq(created["Layers"], [{"Arn": self.layer_arn(layer, 1), "CodeSize": len(content_1)}], "function Layers")

        eq(status_of(lam.delete_layer_version(LayerName=layer, VersionNumber=1)), 204, "DeleteLayerVersion status")
        expect_error("ResourceNotFoundException", 404, lam.get_layer_version,
                     message="The resource you requested does not exist.", LayerName=layer, VersionNumber=1)
        eq([v["Version"] for v in lam.list_layer_versions(LayerName=layer)["LayerVersions"]], [2], "ListLayerVersions after delete")
        eq(lam.get_function_configuration(FunctionName=user)["Layers"][0]["Arn"], self.layer_arn(layer, 1),
           "a function keeps its deleted layer version")
        expect_error("InvalidParameterValueException", 400, lam.update_function_configuration,
                     message=f"Layer version {self.layer_arn(layer, 1)} does not exist.",
                     FunctionName=user, Layers=[self.layer_arn(layer, 1)])

    def pagination(self):
        lam = self.lam
        prefix = f"b3-{self.run}-page-"
        code = handler_zip(4)
        names = [f"{prefix}{i:03d}" for i in range(PAGINATED_FUNCTIONS)]
        for name in names:
            self.create(name, code)

        seen = []
        pages = 0
        for page in lam.get_paginator("list_functions").paginate(PaginationConfig={"PageSize": 25}):
            pages += 1
            check(len(page["Functions"]) <= 25, f"page of {len(page['Functions'])} items exceeds MaxItems 25")
            seen.extend(f["FunctionName"] for f in page["Functions"] if f["FunctionName"].startswith(prefix))
        eq(sorted(seen), names, "functions seen by the ListFunctions paginator")
        check(pages >= 5, f"120 functions in pages of 25 need at least 5 pages, got {pages}")

        # Default page size: AWS caps a page at 50 items even when asked for more.
        capped = lam.list_functions(MaxItems=1000)
        check(len(capped["Functions"]) == 50 and "NextMarker" in capped,
              f"ListFunctions(MaxItems=1000) returned {len(capped['Functions'])} items, NextMarker={capped.get('NextMarker')!r}")

        all_versions = []
        for page in lam.get_paginator("list_functions").paginate(FunctionVersion="ALL", PaginationConfig={"PageSize": 50}):
            all_versions.extend(page["Functions"])
        main_arns = sorted(f["FunctionArn"] for f in all_versions if f["FunctionName"] == self.name("main"))
        eq(main_arns, [self.arn(self.name("main"), "$LATEST"), self.arn(self.name("main"), "2")], "ListFunctions(ALL) versions of main")
        eq(sum(1 for f in all_versions if f["FunctionName"].startswith(prefix)), PAGINATED_FUNCTIONS, "ListFunctions(ALL) paged")

    def errors(self):
        lam = self.lam
        missing = self.name("missing")
        expect_error("ResourceNotFoundException", 404, lam.get_function,
                     message=f"Function not found: {self.arn(missing)}", FunctionName=missing)
        expect_error("ResourceNotFoundException", 404, lam.delete_function,
                     message=f"Function not found: {self.arn(missing)}", FunctionName=missing)

        name = self.name("main")
        expect_error("ResourceConflictException", 409, self.create, message=f"Function already exist: {name}",
                     name=name, zip_bytes=handler_zip(1))
        expect_error("ValidationException", 400, lam.create_function,
                     message="1 validation error detected: Value '20000' at 'memorySize' failed to satisfy constraint: "
                             "Member must have value less than or equal to 10240",
                     FunctionName=self.name("mem"), Runtime=RUNTIME, Role=ROLE, Handler="index.handler",
                     Code={"ZipFile": handler_zip(1)}, MemorySize=20000)
        error = expect_error("InvalidParameterValueException", 400, lam.create_function,
                             FunctionName=self.name("s3"), Runtime=RUNTIME, Role=ROLE, Handler="index.handler",
                             Code={"S3Bucket": "my-bucket", "S3Key": "code.zip"})
        check("S3Bucket" in error["Message"], f"S3 error message should name S3Bucket: {error['Message']}")
        expect_error("InvalidParameterValueException", 400, lam.create_function,
                     message="Could not unzip uploaded file. Please check your file, then try to upload again.",
                     FunctionName=self.name("notzip"), Runtime=RUNTIME, Role=ROLE, Handler="index.handler",
                     Code={"ZipFile": b"definitely not a zip"})

        # A zip over 50 MB (incompressible, so the package really is that big) but a body under 70 MB.
        big = zip_of_stored(os.urandom(52_500_000))
        expect_error("RequestEntityTooLargeException", 413, lam.create_function,
                     message="Zipped size must be smaller than 52428800 bytes",
                     FunctionName=self.name("big"), Runtime=RUNTIME, Role=ROLE, Handler="index.handler", Code={"ZipFile": big})
        expect_error("ResourceNotFoundException", 404, lam.get_function, FunctionName=self.name("big"))

        expect_error("InvalidSignatureException", 403, self.client(self.key, self.secret + "x").list_functions)
        expect_error("UnrecognizedClientException", 403, self.client("AKIAUNKNOWNKEY000000", "secret").list_functions,
                     message="The security token included in the request is invalid.")

    def concurrent_clients(self):
        """Several clients changing one function at once, as parallel deploy jobs do, without RevisionIds."""
        lam = self.lam
        name = self.name("race")
        self.create(name, handler_zip(5), Publish=True)
        lam.create_alias(FunctionName=name, Name="live", FunctionVersion="1")

        def outcome(call, **kwargs):
            try:
                call(**kwargs)
                return "ok"
            except ClientError as e:
                return e.response["Error"]["Code"]

        with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
            tagged = list(pool.map(lambda i: outcome(lam.tag_resource, Resource=self.arn(name), Tags={f"key{i:02d}": str(i)}), range(16)))
            eq(tagged, ["ok"] * 16, "16 concurrent TagResource calls")
            eq(lam.list_tags(Resource=self.arn(name))["Tags"], {f"key{i:02d}": str(i) for i in range(16)},
               "tags after 16 concurrent TagResource calls (none may be lost)")

            updates = list(pool.map(lambda i: outcome(lam.update_function_configuration, FunctionName=name, Description=f"d{i}"), range(16)))
            check("PreconditionFailedException" not in updates,
                  f"UpdateFunctionConfiguration without RevisionId must never fail its revision check: {updates}")
            check(set(updates) <= {"ok", "ResourceConflictException"}, f"concurrent UpdateFunctionConfiguration outcomes: {updates}")
            final = lam.get_function_configuration(FunctionName=name)["Description"]
            check(final in {f"d{i}" for i, o in enumerate(updates) if o == "ok"}, f"final Description {final!r} is not one that succeeded")

            aliases = list(pool.map(lambda i: outcome(lam.update_alias, FunctionName=name, Name="live", Description=f"a{i}"), range(16)))
            check("PreconditionFailedException" not in aliases, f"UpdateAlias without RevisionId must never fail its revision check: {aliases}")
            check(set(aliases) <= {"ok", "ResourceConflictException"}, f"concurrent UpdateAlias outcomes: {aliases}")

    def account_settings(self):
        settings = self.lam.get_account_settings()
        eq(settings["AccountLimit"]["CodeSizeZipped"], 52428800, "AccountLimit.CodeSizeZipped")
        eq(settings["AccountLimit"]["CodeSizeUnzipped"], 262144000, "AccountLimit.CodeSizeUnzipped")
        eq(settings["AccountLimit"]["ConcurrentExecutions"], 1000, "AccountLimit.ConcurrentExecutions")
        check(settings["AccountUsage"]["FunctionCount"] >= len(self.created),
              f"AccountUsage.FunctionCount {settings['AccountUsage']['FunctionCount']} < {len(self.created)} created here")
        check(settings["AccountUsage"]["TotalCodeSize"] > 0, "AccountUsage.TotalCodeSize must count the uploaded code")

    def cleanup(self):
        layer = f"b3-{self.run}-layer"
        eq(status_of(self.lam.delete_layer_version(LayerName=layer, VersionNumber=2)), 204, "DeleteLayerVersion 2")
        eq(self.lam.list_layer_versions(LayerName=layer)["LayerVersions"], [], "layer versions left after cleanup")
        for name in reversed(self.created):
            eq(status_of(self.lam.delete_function(FunctionName=name)) in (200, 204), True, f"DeleteFunction {name}")
        remaining = [f["FunctionName"] for page in self.lam.get_paginator("list_functions").paginate()
                     for f in page["Functions"] if f["FunctionName"].startswith(f"b3-{self.run}-")]
        eq(remaining, [], "functions left after cleanup")


def zip_of_stored(data):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("payload.bin", data)
    return buffer.getvalue()


def main():
    for variable in ("AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_REGION"):
        if not os.environ.get(variable):
            print(f"FAIL: set {variable} (see the docstring of {sys.argv[0]})", file=sys.stderr)
            return 2

    scenario = Scenario()
    steps = [scenario.lifecycle, scenario.layers, scenario.pagination, scenario.errors, scenario.concurrent_clients,
             scenario.account_settings, scenario.cleanup]
    for step in steps:
        started = time.monotonic()
        try:
            step()
        except CheckFailed as failure:
            print(f"FAIL in {step.__name__}: {failure}", file=sys.stderr)
            return 1
        except ClientError as e:
            print(f"FAIL in {step.__name__}: unexpected {e.response['Error'].get('Code')} "
                  f"(HTTP {e.response['ResponseMetadata'].get('HTTPStatusCode')}): {e}", file=sys.stderr)
            traceback.print_exc()
            return 1
        print(f"ok {step.__name__} ({time.monotonic() - started:.2f}s)")
    print("boto3 control plane: all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
