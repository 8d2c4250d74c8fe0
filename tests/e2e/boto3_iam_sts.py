#!/usr/bin/env python3
"""IAM and STS against a Lamina server, driven by boto3 only: users, access keys, roles, inline and
managed policies, attachments, AssumeRole (durations, chaining, session policies, ExternalId),
GetSessionToken, GetCallerIdentity for every kind of principal, and the error responses.

Reads the endpoint and root credentials from AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY
and AWS_REGION (LAMINA_ACCOUNT_ID overrides the expected account, default 000000000000). The first
failed check prints what was expected and exits 1.

    AWS_ENDPOINT_URL=http://127.0.0.1:9600 AWS_ACCESS_KEY_ID=... AWS_SECRET_ACCESS_KEY=... AWS_REGION=us-east-1 \
        python3 tests/e2e/boto3_iam_sts.py
"""

import datetime
import json
import os
import sys
import time
import traceback
import uuid

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

READ_ONLY = "arn:aws:iam::aws:policy/AWSLambda_ReadOnlyAccess"
FULL_ACCESS = "arn:aws:iam::aws:policy/AWSLambda_FullAccess"


class CheckFailed(Exception):
    pass


def check(condition, message):
    if not condition:
        raise CheckFailed(message)


def eq(actual, expected, what):
    if actual != expected:
        raise CheckFailed(f"{what}: expected {expected!r}, got {actual!r}")


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


def policy(*statements):
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow(action, resource="*"):
    return {"Effect": "Allow", "Action": action, "Resource": resource}


class Scenario:
    def __init__(self):
        self.endpoint = os.environ["AWS_ENDPOINT_URL"]
        self.region = os.environ["AWS_REGION"]
        self.account = os.environ.get("LAMINA_ACCOUNT_ID", "000000000000")
        self.run = uuid.uuid4().hex[:8]
        root = (os.environ["AWS_ACCESS_KEY_ID"], os.environ["AWS_SECRET_ACCESS_KEY"], None)
        self.iam = self.client("iam", root)
        self.sts = self.client("sts", root)

    def client(self, service, credentials, validate=True):
        """With validate=False botocore sends what it is given, so the server's own validation answers."""
        key, secret, token = credentials
        return boto3.client(
            service, endpoint_url=self.endpoint, region_name=self.region,
            aws_access_key_id=key, aws_secret_access_key=secret, aws_session_token=token,
            config=Config(retries={"max_attempts": 1, "mode": "standard"}, parameter_validation=validate))

    def name(self, suffix):
        return f"b3-{self.run}-{suffix}"

    def user_arn(self, name):
        return f"arn:aws:iam::{self.account}:user/{name}"

    @staticmethod
    def creds(response):
        c = response["Credentials"]
        return c["AccessKeyId"], c["SecretAccessKey"], c["SessionToken"]

    def caller_identity(self):
        identity = self.sts.get_caller_identity()
        eq(identity["Account"], self.account, "root Account")
        eq(identity["Arn"], f"arn:aws:iam::{self.account}:root", "root Arn")
        eq(identity["UserId"], self.account, "root UserId")

    def users_and_keys(self):
        user = self.name("dev")
        created = self.iam.create_user(UserName=user, Path="/b3/", Tags=[{"Key": "team", "Value": "lamina"}])["User"]
        eq(created["Arn"], f"arn:aws:iam::{self.account}:user/b3/{user}", "user Arn")
        check(created["UserId"].startswith("AIDA") and len(created["UserId"]) == 21, f"UserId {created['UserId']}")
        check(isinstance(created["CreateDate"], datetime.datetime), "CreateDate is parsed as a timestamp")
        expect_error("EntityAlreadyExists", 409, self.iam.create_user, UserName=user)
        eq(self.iam.get_user(UserName=user)["User"]["Tags"], [{"Key": "team", "Value": "lamina"}], "user tags")
        listed = [u["UserName"] for u in self.iam.list_users(PathPrefix="/b3/")["Users"]]
        eq(listed, [user], "ListUsers by path")

        self.iam.tag_user(UserName=user, Tags=[{"Key": "env", "Value": "test"}])
        self.iam.untag_user(UserName=user, TagKeys=["team"])
        eq(self.iam.list_user_tags(UserName=user)["Tags"], [{"Key": "env", "Value": "test"}], "ListUserTags")

        first = self.iam.create_access_key(UserName=user)["AccessKey"]
        check(first["AccessKeyId"].startswith("AKIA") and len(first["SecretAccessKey"]) == 40, "new key shape")
        eq(first["Status"], "Active", "new key status")
        second = self.iam.create_access_key(UserName=user)["AccessKey"]
        expect_error("LimitExceeded", 409, self.iam.create_access_key, "Cannot exceed quota for AccessKeysPerUser: 2", UserName=user)
        keys = self.iam.list_access_keys(UserName=user)["AccessKeyMetadata"]
        eq(sorted(k["AccessKeyId"] for k in keys), sorted([first["AccessKeyId"], second["AccessKeyId"]]), "ListAccessKeys")
        check(all("SecretAccessKey" not in k for k in keys), "ListAccessKeys never shows secrets")

        # A user's key signs as that user, with no permissions until a policy grants some.
        as_user = (first["AccessKeyId"], first["SecretAccessKey"], None)
        identity = self.client("sts", as_user).get_caller_identity()
        eq(identity["Arn"], created["Arn"], "user GetCallerIdentity Arn")
        eq(identity["UserId"], created["UserId"], "user GetCallerIdentity UserId")
        user_iam = self.client("iam", as_user)
        expect_error("AccessDenied", 403, user_iam.list_users,
                     f"User: {created['Arn']} is not authorized to perform: iam:ListUsers on resource: * "
                     "because no identity-based policy allows the iam:ListUsers action")

        # Inactive keys stop working at once; deleted ones too.
        self.iam.update_access_key(UserName=user, AccessKeyId=second["AccessKeyId"], Status="Inactive")
        eq({k["AccessKeyId"]: k["Status"] for k in self.iam.list_access_keys(UserName=user)["AccessKeyMetadata"]}[second["AccessKeyId"]],
           "Inactive", "key status after UpdateAccessKey")
        expect_error("InvalidClientTokenId", 403, self.client("sts", (second["AccessKeyId"], second["SecretAccessKey"], None)).get_caller_identity)
        self.iam.delete_access_key(UserName=user, AccessKeyId=second["AccessKeyId"])
        expect_error("NoSuchEntity", 404, self.iam.delete_access_key, UserName=user, AccessKeyId=second["AccessKeyId"])

        # Inline policy: the document comes back as a dict (botocore url-decodes IAM policy documents).
        document = policy(allow(["iam:GetUser", "iam:ListAccessKeys"], f"arn:aws:iam::{self.account}:user/b3/${{aws:username}}"))
        self.iam.put_user_policy(UserName=user, PolicyName="self", PolicyDocument=json.dumps(document))
        eq(self.iam.get_user_policy(UserName=user, PolicyName="self")["PolicyDocument"], document, "GetUserPolicy document")
        eq(self.iam.list_user_policies(UserName=user)["PolicyNames"], ["self"], "ListUserPolicies")
        eq(user_iam.get_user()["User"]["UserName"], user, "GetUser without UserName is the caller")
        eq(len(user_iam.list_access_keys()["AccessKeyMetadata"]), 1, "ListAccessKeys without UserName")
        expect_error("AccessDenied", 403, user_iam.get_user, UserName=self.name("someone-else"))
        expect_error("MalformedPolicyDocument", 400, self.iam.put_user_policy,
                     UserName=user, PolicyName="bad", PolicyDocument='{"Statement": [{"Effect": "Maybe"}]}')
        expect_error("NoSuchEntity", 404, self.iam.get_user_policy, UserName=user, PolicyName="absent")

        expect_error("DeleteConflict", 409, self.iam.delete_user, "Cannot delete entity, must delete access keys first.", UserName=user)
        self.iam.delete_access_key(UserName=user, AccessKeyId=first["AccessKeyId"])
        expect_error("DeleteConflict", 409, self.iam.delete_user, "Cannot delete entity, must delete policies first.", UserName=user)
        self.iam.delete_user_policy(UserName=user, PolicyName="self")
        self.iam.delete_user(UserName=user)
        expect_error("NoSuchEntity", 404, self.iam.get_user, f"The user with name {user} cannot be found.", UserName=user)

    def managed_policies(self):
        name = self.name("pol")
        document = policy(allow("lambda:ListFunctions"))
        created = self.iam.create_policy(PolicyName=name, PolicyDocument=json.dumps(document), Description="b3")["Policy"]
        arn = created["Arn"]
        eq(arn, f"arn:aws:iam::{self.account}:policy/{name}", "policy Arn")
        eq((created["DefaultVersionId"], created["AttachmentCount"], created["IsAttachable"]), ("v1", 0, True), "new policy")
        expect_error("EntityAlreadyExists", 409, self.iam.create_policy, PolicyName=name, PolicyDocument=json.dumps(document))
        eq(self.iam.get_policy_version(PolicyArn=arn, VersionId="v1")["PolicyVersion"]["Document"], document, "GetPolicyVersion")

        newer = policy(allow(["lambda:ListFunctions", "lambda:GetFunction"]))
        version = self.iam.create_policy_version(PolicyArn=arn, PolicyDocument=json.dumps(newer), SetAsDefault=True)["PolicyVersion"]
        eq((version["VersionId"], version["IsDefaultVersion"]), ("v2", True), "CreatePolicyVersion")
        eq(self.iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"], "v2", "default version after update")
        eq([v["VersionId"] for v in self.iam.list_policy_versions(PolicyArn=arn)["Versions"]], ["v2"], "ListPolicyVersions")
        expect_error("NoSuchEntity", 404, self.iam.get_policy_version, PolicyArn=arn, VersionId="v1")
        expect_error("DeleteConflict", 409, self.iam.delete_policy_version, PolicyArn=arn, VersionId="v2")

        aws = self.iam.get_policy(PolicyArn=READ_ONLY)["Policy"]
        eq((aws["PolicyName"], aws["DefaultVersionId"], aws["IsAttachable"]), ("AWSLambda_ReadOnlyAccess", "v1", True), "AWS managed policy")
        check(aws["PolicyId"].startswith("ANPA"), "AWS managed PolicyId")
        statements = self.iam.get_policy_version(PolicyArn=READ_ONLY, VersionId="v1")["PolicyVersion"]["Document"]["Statement"]
        check(any("lambda:List*" in s["Action"] for s in statements), "AWSLambda_ReadOnlyAccess grants lambda:List*")
        expect_error("NoSuchEntity", 404, self.iam.get_policy, PolicyArn=f"arn:aws:iam::{self.account}:policy/absent-{self.run}")

        local = [p["Arn"] for p in self.iam.get_paginator("list_policies").paginate(Scope="Local").build_full_result()["Policies"]]
        check(arn in local and READ_ONLY not in local, "ListPolicies Scope=Local")
        aws_scope = [p["Arn"] for p in self.iam.list_policies(Scope="AWS")["Policies"]]
        check(READ_ONLY in aws_scope and arn not in aws_scope, "ListPolicies Scope=AWS")

        user = self.name("attached")
        self.iam.create_user(UserName=user)
        self.iam.attach_user_policy(UserName=user, PolicyArn=arn)
        self.iam.attach_user_policy(UserName=user, PolicyArn=READ_ONLY)
        expect_error("NoSuchEntity", 404, self.iam.attach_user_policy, UserName=user, PolicyArn=f"arn:aws:iam::aws:policy/Nope{self.run}")
        attached = self.iam.list_attached_user_policies(UserName=user)["AttachedPolicies"]
        eq(sorted(p["PolicyName"] for p in attached), sorted([name, "AWSLambda_ReadOnlyAccess"]), "ListAttachedUserPolicies")
        eq(self.iam.get_policy(PolicyArn=arn)["Policy"]["AttachmentCount"], 1, "AttachmentCount")
        only_attached = [p["Arn"] for p in self.iam.list_policies(Scope="Local", OnlyAttached=True)["Policies"]]
        check(arn in only_attached, "ListPolicies OnlyAttached")
        expect_error("DeleteConflict", 409, self.iam.delete_policy, "Cannot delete a policy attached to entities.", PolicyArn=arn)
        expect_error("DeleteConflict", 409, self.iam.delete_user, "Cannot delete entity, must detach all policies first.", UserName=user)
        self.iam.detach_user_policy(UserName=user, PolicyArn=arn)
        self.iam.detach_user_policy(UserName=user, PolicyArn=READ_ONLY)
        expect_error("NoSuchEntity", 404, self.iam.detach_user_policy, UserName=user, PolicyArn=arn)
        self.iam.delete_policy(PolicyArn=arn)
        self.iam.delete_user(UserName=user)

    def roles_and_sessions(self):
        user = self.name("assumer")
        user_arn = self.user_arn(user)
        self.iam.create_user(UserName=user)
        key = self.iam.create_access_key(UserName=user)["AccessKey"]
        as_user = (key["AccessKeyId"], key["SecretAccessKey"], None)
        user_sts = self.client("sts", as_user)

        role = self.name("role")
        trust = policy({"Effect": "Allow", "Principal": {"AWS": user_arn}, "Action": "sts:AssumeRole"})
        created = self.iam.create_role(RoleName=role, Path="/service/", AssumeRolePolicyDocument=json.dumps(trust),
                                       Description="b3 role", Tags=[{"Key": "k", "Value": "v"}])["Role"]
        role_arn = created["Arn"]
        eq(role_arn, f"arn:aws:iam::{self.account}:role/service/{role}", "role Arn")
        eq(created["AssumeRolePolicyDocument"], trust, "CreateRole trust document")
        eq(created["MaxSessionDuration"], 3600, "default MaxSessionDuration")
        expect_error("EntityAlreadyExists", 409, self.iam.create_role, RoleName=role, AssumeRolePolicyDocument=json.dumps(trust))
        expect_error("MalformedPolicyDocument", 400, self.iam.create_role, RoleName=self.name("bad"), AssumeRolePolicyDocument="{nope")
        got = self.iam.get_role(RoleName=role)["Role"]
        eq((got["Description"], got["Tags"]), ("b3 role", [{"Key": "k", "Value": "v"}]), "GetRole")
        check(role in [r["RoleName"] for r in self.iam.list_roles(PathPrefix="/service/")["Roles"]], "ListRoles")
        expect_error("NoSuchEntity", 404, self.iam.get_role, f"The role with name {role}-x cannot be found.", RoleName=role + "-x")

        self.iam.attach_role_policy(RoleName=role, PolicyArn=FULL_ACCESS)
        self.iam.put_role_policy(RoleName=role, PolicyName="iam-read", PolicyDocument=json.dumps(policy(allow("iam:GetRole"))))
        eq(self.iam.list_role_policies(RoleName=role)["PolicyNames"], ["iam-read"], "ListRolePolicies")
        eq([p["PolicyArn"] for p in self.iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"]], [FULL_ACCESS], "attached")
        self.iam.tag_role(RoleName=role, Tags=[{"Key": "extra", "Value": "1"}])
        self.iam.untag_role(RoleName=role, TagKeys=["k"])
        eq(self.iam.list_role_tags(RoleName=role)["Tags"], [{"Key": "extra", "Value": "1"}], "ListRoleTags")

        # DurationSeconds: 900 works and expires 15 minutes out; past MaxSessionDuration is refused.
        before = datetime.datetime.now(datetime.timezone.utc)
        session = user_sts.assume_role(RoleArn=role_arn, RoleSessionName="b3-session", DurationSeconds=900)
        expires = session["Credentials"]["Expiration"]
        check(abs((expires - before).total_seconds() - 900) < 60, f"Expiration {expires} is 900 s after {before}")
        eq(session["AssumedRoleUser"]["Arn"], f"arn:aws:sts::{self.account}:assumed-role/{role}/b3-session", "AssumedRoleUser.Arn")
        eq(session["AssumedRoleUser"]["AssumedRoleId"], f"{created['RoleId']}:b3-session", "AssumedRoleId")
        check("PackedPolicySize" not in session, "no PackedPolicySize without session policies")
        expect_error("ValidationError", 400, user_sts.assume_role,
                     "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.",
                     RoleArn=role_arn, RoleSessionName="long", DurationSeconds=7200)
        self.iam.update_role(RoleName=role, MaxSessionDuration=7200, Description="longer")
        eq(self.iam.get_role(RoleName=role)["Role"]["MaxSessionDuration"], 7200, "UpdateRole MaxSessionDuration")
        user_sts.assume_role(RoleArn=role_arn, RoleSessionName="long", DurationSeconds=7200)
        unchecked = self.client("sts", as_user, validate=False)
        expect_error("ValidationError", 400, unchecked.assume_role,
                     "1 validation error detected: Value 'x' at 'roleSessionName' failed to satisfy constraint: "
                     "Member must have length greater than or equal to 2", RoleArn=role_arn, RoleSessionName="x")
        expect_error("ValidationError", 400, unchecked.assume_role,
                     "1 validation error detected: Value '100' at 'durationSeconds' failed to satisfy constraint: "
                     "Member must have value greater than or equal to 900", RoleArn=role_arn, RoleSessionName="short", DurationSeconds=100)
        expect_error("ValidationError", 400, unchecked.assume_role, RoleArn=role_arn, RoleSessionName="bad name!")

        as_role = self.creds(session)
        role_identity = self.client("sts", as_role).get_caller_identity()
        eq(role_identity["Arn"], session["AssumedRoleUser"]["Arn"], "role session GetCallerIdentity Arn")
        eq(role_identity["UserId"], session["AssumedRoleUser"]["AssumedRoleId"], "role session GetCallerIdentity UserId")
        eq(self.client("iam", as_role).get_role(RoleName=role)["Role"]["RoleName"], role, "role session uses the role's inline policy")
        expect_error("AccessDenied", 403, self.client("iam", as_role).list_users)
        role_lambda = self.client("lambda", as_role)
        role_lambda.get_account_settings()

        # Session policies only narrow: with lambda:ListFunctions only, account settings are refused.
        narrow = user_sts.assume_role(RoleArn=role_arn, RoleSessionName="narrow",
                                      Policy=json.dumps(policy(allow("lambda:ListFunctions"))))
        check(1 <= narrow["PackedPolicySize"] <= 100, f"PackedPolicySize {narrow['PackedPolicySize']}")
        narrow_lambda = self.client("lambda", self.creds(narrow))
        narrow_lambda.list_functions()
        expect_error("AccessDeniedException", 403, narrow_lambda.get_account_settings)
        by_arn = user_sts.assume_role(RoleArn=role_arn, RoleSessionName="by-arn", PolicyArns=[{"arn": READ_ONLY}])
        by_arn_lambda = self.client("lambda", self.creds(by_arn))
        by_arn_lambda.get_account_settings()
        expect_error("AccessDeniedException", 403, by_arn_lambda.delete_function, FunctionName=self.name("none"))
        expect_error("MalformedPolicyDocument", 400, user_sts.assume_role, RoleArn=role_arn, RoleSessionName="bad", Policy="{not json")

        # Role chaining: a role session may assume a role (its trust names the role), for at most one hour.
        chained_trust = policy({"Effect": "Allow", "Principal": {"AWS": [user_arn, role_arn]}, "Action": "sts:AssumeRole"})
        self.iam.update_assume_role_policy(RoleName=role, PolicyDocument=json.dumps(chained_trust))
        role_sts = self.client("sts", as_role)
        expect_error("ValidationError", 400, role_sts.assume_role,
                     "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.",
                     RoleArn=role_arn, RoleSessionName="chain", DurationSeconds=3601)
        chained = role_sts.assume_role(RoleArn=role_arn, RoleSessionName="chain")
        eq(chained["AssumedRoleUser"]["Arn"], f"arn:aws:sts::{self.account}:assumed-role/{role}/chain", "chained session")

        # The trust policy decides: ExternalId conditions hold, and others are refused.
        guarded = policy({"Effect": "Allow", "Principal": {"AWS": user_arn}, "Action": "sts:AssumeRole",
                          "Condition": {"StringEquals": {"sts:ExternalId": "b3-external"}}})
        self.iam.update_assume_role_policy(RoleName=role, PolicyDocument=json.dumps(guarded))
        expect_error("AccessDenied", 403, user_sts.assume_role, RoleArn=role_arn, RoleSessionName="no-external")
        expect_error("AccessDenied", 403, user_sts.assume_role, RoleArn=role_arn, RoleSessionName="bad", ExternalId="wrong-one")
        user_sts.assume_role(RoleArn=role_arn, RoleSessionName="external", ExternalId="b3-external")
        expect_error("AccessDenied", 403, user_sts.assume_role, RoleArn=role_arn + "-missing", RoleSessionName="missing")
        expect_error("AccessDenied", 403, self.sts.assume_role, "Roles may not be assumed by root accounts.",
                     RoleArn=role_arn, RoleSessionName="root")

        # GetSessionToken: the user's own permissions, no IAM calls, no second session token.
        token = user_sts.get_session_token(DurationSeconds=900)
        check(token["Credentials"]["AccessKeyId"].startswith("ASIA"), "session key prefix")
        as_token = self.creds(token)
        eq(self.client("sts", as_token).get_caller_identity()["Arn"], user_arn, "GetSessionToken session is the user")
        expect_error("InvalidClientTokenId", 403, self.client("iam", as_token).get_user)
        expect_error("AccessDenied", 403, self.client("sts", as_token).get_session_token,
                     "Cannot call GetSessionToken with session credentials")
        expect_error("AccessDenied", 403, self.client("sts", as_role).get_session_token)

        expect_error("DeleteConflict", 409, self.iam.delete_role, RoleName=role)
        self.iam.detach_role_policy(RoleName=role, PolicyArn=FULL_ACCESS)
        self.iam.delete_role_policy(RoleName=role, PolicyName="iam-read")
        self.iam.delete_role(RoleName=role)
        self.iam.delete_access_key(UserName=user, AccessKeyId=key["AccessKeyId"])
        self.iam.delete_user(UserName=user)


def main():
    for variable in ("AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_REGION"):
        if not os.environ.get(variable):
            print(f"FAIL: set {variable} (see the docstring of {sys.argv[0]})", file=sys.stderr)
            return 2

    scenario = Scenario()
    for step in (scenario.caller_identity, scenario.users_and_keys, scenario.managed_policies, scenario.roles_and_sessions):
        started = time.monotonic()
        try:
            step()
        except CheckFailed as failure:
            print(f"FAIL in {step.__name__}: {failure}", file=sys.stderr)
            traceback.print_exc()
            return 1
        except ClientError as e:
            print(f"FAIL in {step.__name__}: unexpected {e.response['Error'].get('Code')} "
                  f"(HTTP {e.response['ResponseMetadata'].get('HTTPStatusCode')}): {e}", file=sys.stderr)
            traceback.print_exc()
            return 1
        print(f"ok {step.__name__} ({time.monotonic() - started:.2f}s)")
    print("boto3 iam/sts: all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
