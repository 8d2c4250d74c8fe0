// The Lambda control-plane lifecycle against a Lamina server, driven by the AWS SDK for JavaScript v3.
//
// Reads AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_REGION (LAMINA_ACCOUNT_ID
// overrides the expected account, default 000000000000). Every step checks concrete values; the first
// failed check prints what was expected and exits 1.
//
//   AWS_ENDPOINT_URL=http://127.0.0.1:9600 AWS_ACCESS_KEY_ID=... AWS_SECRET_ACCESS_KEY=... AWS_REGION=us-east-1 \
//     node tests/e2e/js/control-plane.mjs
import { createHash, randomBytes, randomUUID } from "node:crypto";
import { isDeepStrictEqual } from "node:util";
import {
  CreateAliasCommand,
  CreateFunctionCommand,
  DeleteAliasCommand,
  DeleteFunctionCommand,
  DeleteFunctionConcurrencyCommand,
  DeleteLayerVersionCommand,
  DeleteProvisionedConcurrencyConfigCommand,
  GetAccountSettingsCommand,
  GetAliasCommand,
  GetFunctionCommand,
  GetFunctionConcurrencyCommand,
  GetFunctionConfigurationCommand,
  GetLayerVersionByArnCommand,
  GetLayerVersionCommand,
  GetProvisionedConcurrencyConfigCommand,
  LambdaClient,
  ListAliasesCommand,
  ListFunctionsCommand,
  ListLayersCommand,
  ListLayerVersionsCommand,
  ListProvisionedConcurrencyConfigsCommand,
  ListTagsCommand,
  ListVersionsByFunctionCommand,
  PublishLayerVersionCommand,
  PublishVersionCommand,
  PutFunctionConcurrencyCommand,
  PutProvisionedConcurrencyConfigCommand,
  TagResourceCommand,
  UntagResourceCommand,
  UpdateAliasCommand,
  UpdateFunctionCodeCommand,
  UpdateFunctionConfigurationCommand,
  paginateListFunctions,
  paginateListVersionsByFunction,
  waitUntilFunctionActiveV2,
  waitUntilFunctionUpdatedV2,
} from "@aws-sdk/client-lambda";
import { zipOf } from "./zip.mjs";

const ROLE = "arn:aws:iam::000000000000:role/lambda-role";
const RUNTIME = "nodejs20.x";
const PAGINATED_FUNCTIONS = 120;

class CheckFailed extends Error {}

function check(condition, message) {
  if (!condition) {
    throw new CheckFailed(message);
  }
}

function eq(actual, expected, what) {
  if (!isDeepStrictEqual(actual, expected)) {
    throw new CheckFailed(`${what}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
  }
}

/** Sends a command that must fail with the given error name and HTTP status; returns the error. */
async function expectError(client, command, name, status, message) {
  let error;
  try {
    await client.send(command);
  } catch (e) {
    error = e;
  }
  const op = command.constructor.name;
  check(error !== undefined, `${op} succeeded; expected ${name}`);
  check(!(error instanceof CheckFailed), error?.message);
  eq(error.name, name, `${op} error name`);
  eq(error.$metadata?.httpStatusCode, status, `${op} HTTP status`);
  if (message !== undefined) {
    eq(error.message, message, `${op} error message`);
  }
  return error;
}

const sha256 = (bytes) => createHash("sha256").update(bytes).digest("base64");
const handlerZip = (answer) => zipOf({ "index.js": `exports.handler = async () => ({ answer: ${answer} });\n` });

async function download(url) {
  const response = await fetch(url);
  eq(response.status, 200, `GET ${url.split("?")[0]}`);
  return new Uint8Array(await response.arrayBuffer());
}

class Scenario {
  constructor() {
    this.endpoint = process.env.AWS_ENDPOINT_URL;
    this.region = process.env.AWS_REGION;
    this.key = process.env.AWS_ACCESS_KEY_ID;
    this.secret = process.env.AWS_SECRET_ACCESS_KEY;
    this.account = process.env.LAMINA_ACCOUNT_ID || "000000000000";
    this.run = randomUUID().slice(0, 8);
    this.lambda = this.client(this.key, this.secret);
    this.created = [];
  }

  client(accessKeyId, secretAccessKey) {
    return new LambdaClient({
      endpoint: this.endpoint,
      region: this.region,
      credentials: { accessKeyId, secretAccessKey },
      maxAttempts: 1,
    });
  }

  send(command) {
    return this.lambda.send(command);
  }

  name(suffix) {
    return `js-${this.run}-${suffix}`;
  }

  arn(name, qualifier) {
    const base = `arn:aws:lambda:${this.region}:${this.account}:function:${name}`;
    return qualifier === undefined ? base : `${base}:${qualifier}`;
  }

  layerArn(name, version) {
    const base = `arn:aws:lambda:${this.region}:${this.account}:layer:${name}`;
    return version === undefined ? base : `${base}:${version}`;
  }

  createCommand(name, zip, extra = {}) {
    return new CreateFunctionCommand({
      FunctionName: name, Runtime: RUNTIME, Role: ROLE, Handler: "index.handler", Code: { ZipFile: zip }, ...extra,
    });
  }

  async create(name, zip, extra = {}) {
    const response = await this.send(this.createCommand(name, zip, extra));
    this.created.push(name);
    return response;
  }

  async lifecycle() {
    const name = this.name("main");
    const codeV1 = handlerZip(1);
    const created = await this.create(name, codeV1, {
      Description: "js lifecycle",
      MemorySize: 256,
      Timeout: 5,
      Environment: { Variables: { STAGE: "one", MODE: "e2e" } },
      Tags: { team: "lamina", suite: "js" },
      DurableConfig: { RetentionPeriodInDays: 14, ExecutionTimeout: 3600 },
    });
    eq(created.$metadata.httpStatusCode, 201, "CreateFunction status");
    check(created.$metadata.requestId?.length > 0, "CreateFunction must carry x-amzn-RequestId");
    eq(created.FunctionArn, this.arn(name), "CreateFunction FunctionArn");
    eq(created.Version, "$LATEST", "CreateFunction Version");
    eq(created.CodeSha256, sha256(codeV1), "CreateFunction CodeSha256");
    eq(created.CodeSize, codeV1.length, "CreateFunction CodeSize");
    eq([created.MemorySize, created.Timeout], [256, 5], "CreateFunction MemorySize/Timeout");
    eq(created.Environment?.Variables, { STAGE: "one", MODE: "e2e" }, "CreateFunction Environment");
    eq(created.DurableConfig, { RetentionPeriodInDays: 14, ExecutionTimeout: 3600 }, "CreateFunction DurableConfig");

    const active = await waitUntilFunctionActiveV2({ client: this.lambda, maxWaitTime: 10, minDelay: 1 }, { FunctionName: name });
    eq(active.state, "SUCCESS", "waitUntilFunctionActiveV2");

    const got = await this.send(new GetFunctionCommand({ FunctionName: name }));
    eq(got.Configuration.State, "Active", "GetFunction State");
    eq(got.Configuration.LastUpdateStatus, "Successful", "GetFunction LastUpdateStatus");
    eq(got.Tags, { team: "lamina", suite: "js" }, "GetFunction Tags");
    eq(got.Code.RepositoryType, "S3", "GetFunction Code.RepositoryType");
    eq(Buffer.from(await download(got.Code.Location)).equals(Buffer.from(codeV1)), true, "bytes at Code.Location equal the upload");

    const config = await this.send(new GetFunctionConfigurationCommand({ FunctionName: name }));
    eq(config.RevisionId, got.Configuration.RevisionId, "GetFunctionConfiguration RevisionId");

    const updated = await this.send(new UpdateFunctionConfigurationCommand({
      FunctionName: name, RevisionId: config.RevisionId, MemorySize: 2048, Timeout: 60, Environment: { Variables: { STAGE: "two" } },
    }));
    eq([updated.MemorySize, updated.Timeout], [2048, 60], "UpdateFunctionConfiguration MemorySize/Timeout");
    eq(updated.Environment?.Variables, { STAGE: "two" }, "UpdateFunctionConfiguration Environment");
    check(updated.RevisionId !== config.RevisionId, "UpdateFunctionConfiguration must change RevisionId");
    const settled = await waitUntilFunctionUpdatedV2({ client: this.lambda, maxWaitTime: 10, minDelay: 1 }, { FunctionName: name });
    eq(settled.state, "SUCCESS", "waitUntilFunctionUpdatedV2");

    await expectError(this.lambda, new UpdateFunctionConfigurationCommand({ FunctionName: name, RevisionId: config.RevisionId, Timeout: 61 }),
      "PreconditionFailedException", 412,
      "The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to retrieve the latest Revision Id");

    const first = await this.send(new PublishVersionCommand({ FunctionName: name }));
    eq([first.$metadata.httpStatusCode, first.Version, first.FunctionArn], [201, "1", this.arn(name, "1")], "PublishVersion");
    const again = await this.send(new PublishVersionCommand({ FunctionName: name }));
    eq([again.Version, again.RevisionId], ["1", first.RevisionId], "PublishVersion without changes");

    const codeV2 = handlerZip(2);
    const newCode = await this.send(new UpdateFunctionCodeCommand({ FunctionName: name, ZipFile: codeV2, Publish: true }));
    eq([newCode.Version, newCode.FunctionArn, newCode.CodeSha256], ["2", this.arn(name, "2"), sha256(codeV2)], "UpdateFunctionCode Publish");
    await expectError(this.lambda, new PublishVersionCommand({ FunctionName: name, CodeSha256: sha256(codeV1) }),
      "InvalidParameterValueException", 400,
      `CodeSHA256 (${sha256(codeV1)}) is different from current CodeSHA256 in $LATEST (${sha256(codeV2)}). Please try again with the CodeSHA256 in $LATEST.`);

    const versions = [];
    for await (const page of paginateListVersionsByFunction({ client: this.lambda, pageSize: 2 }, { FunctionName: name })) {
      versions.push(...page.Versions.map((v) => [v.Version, v.FunctionArn]));
    }
    eq(versions, [["$LATEST", this.arn(name, "$LATEST")], ["1", this.arn(name, "1")], ["2", this.arn(name, "2")]],
      "ListVersionsByFunction (paginated by 2)");

    await this.aliases(name);

    const deleted = await this.send(new DeleteFunctionCommand({ FunctionName: name, Qualifier: "1" }));
    check([200, 204].includes(deleted.$metadata.httpStatusCode), `DeleteFunction(version) status ${deleted.$metadata.httpStatusCode}`);
    const remaining = await this.send(new ListVersionsByFunctionCommand({ FunctionName: name }));
    eq(remaining.Versions.map((v) => v.Version), ["$LATEST", "2"], "versions after deleting 1");
    await expectError(this.lambda, new GetFunctionCommand({ FunctionName: name, Qualifier: "1" }), "ResourceNotFoundException", 404,
      `Function not found: ${this.arn(name, "1")}`);

    await this.tagsAndConcurrency(name);
  }

  async aliases(name) {
    const aliasArn = this.arn(name, "live");
    const created = await this.send(new CreateAliasCommand({
      FunctionName: name, Name: "live", FunctionVersion: "1", RoutingConfig: { AdditionalVersionWeights: { 2: 0.2 } },
    }));
    eq([created.$metadata.httpStatusCode, created.AliasArn, created.Description], [201, aliasArn, ""], "CreateAlias");
    eq(created.RoutingConfig, { AdditionalVersionWeights: { 2: 0.2 } }, "CreateAlias RoutingConfig");
    await expectError(this.lambda, new CreateAliasCommand({ FunctionName: name, Name: "live", FunctionVersion: "2" }),
      "ResourceConflictException", 409, `Alias already exists: ${aliasArn}`);
    await expectError(this.lambda, new CreateAliasCommand({
      FunctionName: name, Name: "beta", FunctionVersion: "1", RoutingConfig: { AdditionalVersionWeights: { 2: 1.5 } },
    }), "ValidationException", 400);

    const got = await this.send(new GetAliasCommand({ FunctionName: name, Name: "live" }));
    eq([got.FunctionVersion, got.RevisionId], ["1", created.RevisionId], "GetAlias");

    const shifted = await this.send(new UpdateAliasCommand({
      FunctionName: name, Name: "live", RevisionId: got.RevisionId, RoutingConfig: { AdditionalVersionWeights: { 2: 0.75 } },
    }));
    eq(shifted.RoutingConfig, { AdditionalVersionWeights: { 2: 0.75 } }, "UpdateAlias weights");
    await expectError(this.lambda, new UpdateAliasCommand({ FunctionName: name, Name: "live", RevisionId: got.RevisionId, Description: "x" }),
      "PreconditionFailedException", 412);

    const listed = await this.send(new ListAliasesCommand({ FunctionName: name }));
    eq(listed.Aliases.map((a) => [a.Name, a.FunctionVersion, a.RoutingConfig?.AdditionalVersionWeights]), [["live", "1", { 2: 0.75 }]],
      "ListAliases");
    const viaAlias = await this.send(new GetFunctionConfigurationCommand({ FunctionName: name, Qualifier: "live" }));
    eq([viaAlias.FunctionArn, viaAlias.Version], [aliasArn, "1"], "GetFunctionConfiguration through the alias");

    const deleted = await this.send(new DeleteAliasCommand({ FunctionName: name, Name: "live" }));
    eq(deleted.$metadata.httpStatusCode, 204, "DeleteAlias status");
    await expectError(this.lambda, new GetAliasCommand({ FunctionName: name, Name: "live" }), "ResourceNotFoundException", 404,
      `Cannot find alias arn: ${aliasArn}`);
  }

  async tagsAndConcurrency(name) {
    const arn = this.arn(name);
    eq((await this.send(new TagResourceCommand({ Resource: arn, Tags: { owner: "qa" } }))).$metadata.httpStatusCode, 204, "TagResource");
    eq((await this.send(new UntagResourceCommand({ Resource: arn, TagKeys: ["team"] }))).$metadata.httpStatusCode, 204, "UntagResource");
    eq((await this.send(new ListTagsCommand({ Resource: arn }))).Tags, { suite: "js", owner: "qa" }, "ListTags");

    // Sixteen TagResource calls in flight at once, each adding its own key: none may be lost.
    const keys = Array.from({ length: 16 }, (_, i) => `race${String(i).padStart(2, "0")}`);
    await Promise.all(keys.map((key) => this.send(new TagResourceCommand({ Resource: arn, Tags: { [key]: "1" } }))));
    const raced = (await this.send(new ListTagsCommand({ Resource: arn }))).Tags;
    eq(Object.keys(raced).filter((k) => k.startsWith("race")).sort(), keys, "tags after 16 concurrent TagResource calls");
    await this.send(new UntagResourceCommand({ Resource: arn, TagKeys: keys }));

    const before = (await this.send(new GetAccountSettingsCommand({}))).AccountLimit.UnreservedConcurrentExecutions;
    const put = await this.send(new PutFunctionConcurrencyCommand({ FunctionName: name, ReservedConcurrentExecutions: 5 }));
    eq(put.ReservedConcurrentExecutions, 5, "PutFunctionConcurrency");
    eq((await this.send(new GetFunctionConcurrencyCommand({ FunctionName: name }))).ReservedConcurrentExecutions, 5, "GetFunctionConcurrency");
    eq((await this.send(new GetFunctionCommand({ FunctionName: name }))).Concurrency, { ReservedConcurrentExecutions: 5 }, "GetFunction Concurrency");
    eq((await this.send(new GetAccountSettingsCommand({}))).AccountLimit.UnreservedConcurrentExecutions, before - 5, "Unreserved after reserving 5");

    const provisioned = await this.send(new PutProvisionedConcurrencyConfigCommand({
      FunctionName: name, Qualifier: "2", ProvisionedConcurrentExecutions: 3,
    }));
    eq([provisioned.$metadata.httpStatusCode, provisioned.RequestedProvisionedConcurrentExecutions], [202, 3], "PutProvisionedConcurrencyConfig");
    const pc = await this.send(new GetProvisionedConcurrencyConfigCommand({ FunctionName: name, Qualifier: "2" }));
    eq(pc.RequestedProvisionedConcurrentExecutions, 3, "GetProvisionedConcurrencyConfig");
    const pcs = await this.send(new ListProvisionedConcurrencyConfigsCommand({ FunctionName: name }));
    eq(pcs.ProvisionedConcurrencyConfigs.map((c) => [c.FunctionArn, c.RequestedProvisionedConcurrentExecutions]), [[this.arn(name, "2"), 3]],
      "ListProvisionedConcurrencyConfigs");
    await expectError(this.lambda, new PutProvisionedConcurrencyConfigCommand({ FunctionName: name, Qualifier: "$LATEST", ProvisionedConcurrentExecutions: 1 }),
      "InvalidParameterValueException", 400, "Provisioned Concurrency Configs cannot be applied to unpublished function versions.");
    const pcDeleted = await this.send(new DeleteProvisionedConcurrencyConfigCommand({ FunctionName: name, Qualifier: "2" }));
    eq(pcDeleted.$metadata.httpStatusCode, 204, "DeleteProvisionedConcurrencyConfig status");
    await expectError(this.lambda, new GetProvisionedConcurrencyConfigCommand({ FunctionName: name, Qualifier: "2" }),
      "ProvisionedConcurrencyConfigNotFoundException", 404, "No Provisioned Concurrency Config found for this function");

    eq((await this.send(new DeleteFunctionConcurrencyCommand({ FunctionName: name }))).$metadata.httpStatusCode, 204, "DeleteFunctionConcurrency");
    eq((await this.send(new GetFunctionConcurrencyCommand({ FunctionName: name }))).ReservedConcurrentExecutions, undefined,
      "GetFunctionConcurrency after delete");
  }

  async layers() {
    const layer = `js-${this.run}-layer`;
    const content1 = zipOf({ "nodejs/node_modules/helper/index.js": "module.exports = 1;\n" });
    const content2 = zipOf({ "nodejs/node_modules/helper/index.js": "module.exports = 2;\n" });
    const first = await this.send(new PublishLayerVersionCommand({
      LayerName: layer, Content: { ZipFile: content1 }, CompatibleRuntimes: [RUNTIME], CompatibleArchitectures: ["arm64", "x86_64"],
      Description: "helper", LicenseInfo: "Apache-2.0",
    }));
    eq([first.$metadata.httpStatusCode, first.Version, first.LayerVersionArn, first.LayerArn],
      [201, 1, this.layerArn(layer, 1), this.layerArn(layer)], "PublishLayerVersion");
    eq([first.Content.CodeSha256, first.Content.CodeSize], [sha256(content1), content1.length], "PublishLayerVersion Content");
    eq(first.CompatibleArchitectures, ["arm64", "x86_64"], "PublishLayerVersion CompatibleArchitectures");
    eq(Buffer.from(await download(first.Content.Location)).equals(Buffer.from(content1)), true, "bytes at layer Content.Location");
    const second = await this.send(new PublishLayerVersionCommand({ LayerName: layer, Content: { ZipFile: content2 } }));
    eq(second.Version, 2, "second PublishLayerVersion");
    eq(second.CompatibleRuntimes, undefined, "CompatibleRuntimes absent when not sent");

    const got = await this.send(new GetLayerVersionCommand({ LayerName: layer, VersionNumber: 1 }));
    eq([got.Description, got.LicenseInfo, got.CompatibleRuntimes], ["helper", "Apache-2.0", [RUNTIME]], "GetLayerVersion");
    const byArn = await this.send(new GetLayerVersionByArnCommand({ Arn: this.layerArn(layer, 2) }));
    eq([byArn.Version, byArn.Content.CodeSha256], [2, sha256(content2)], "GetLayerVersionByArn");

    const layers = (await this.send(new ListLayersCommand({}))).Layers.filter((l) => l.LayerName === layer);
    eq(layers.map((l) => [l.LayerArn, l.LatestMatchingVersion.Version]), [[this.layerArn(layer), 2]], "ListLayers");
    const matching = (await this.send(new ListLayersCommand({ CompatibleRuntime: RUNTIME }))).Layers.filter((l) => l.LayerName === layer);
    eq(matching.map((l) => l.LatestMatchingVersion.Version), [1], "ListLayers filtered by runtime");
    const versions = await this.send(new ListLayerVersionsCommand({ LayerName: layer }));
    eq(versions.LayerVersions.map((v) => v.Version), [2, 1], "ListLayerVersions");

    const user = this.name("layered");
    const created = await this.create(user, handlerZip(3), { Layers: [this.layerArn(layer, 2)] });
    eq(created.Layers, [{ Arn: this.layerArn(layer, 2), CodeSize: content2.length }], "function Layers");

    eq((await this.send(new DeleteLayerVersionCommand({ LayerName: layer, VersionNumber: 1 }))).$metadata.httpStatusCode, 204,
      "DeleteLayerVersion status");
    await expectError(this.lambda, new GetLayerVersionCommand({ LayerName: layer, VersionNumber: 1 }), "ResourceNotFoundException", 404,
      "The resource you requested does not exist.");
    await expectError(this.lambda, new GetLayerVersionCommand({ LayerName: layer, VersionNumber: 0 }), "InvalidParameterValueException", 400,
      "Layer Version Cannot be less than 1");
    await expectError(this.lambda, this.createCommand(this.name("ghost-layer"), handlerZip(3), { Layers: [this.layerArn(layer, 1)] }),
      "InvalidParameterValueException", 400, `Layer version ${this.layerArn(layer, 1)} does not exist.`);
  }

  async pagination() {
    const prefix = `js-${this.run}-page-`;
    const code = handlerZip(4);
    const names = Array.from({ length: PAGINATED_FUNCTIONS }, (_, i) => `${prefix}${String(i).padStart(3, "0")}`);
    // Eight requests in flight at a time: a real client pattern, and it keeps the setup short.
    for (let i = 0; i < names.length; i += 8) {
      await Promise.all(names.slice(i, i + 8).map((name) => this.create(name, code)));
    }

    const seen = [];
    let pages = 0;
    for await (const page of paginateListFunctions({ client: this.lambda, pageSize: 30 }, {})) {
      pages++;
      check(page.Functions.length <= 30, `page of ${page.Functions.length} exceeds MaxItems 30`);
      seen.push(...page.Functions.map((f) => f.FunctionName).filter((n) => n.startsWith(prefix)));
    }
    eq(seen.sort(), names, "functions seen by paginateListFunctions");
    check(pages >= 4, `120 functions in pages of 30 need at least 4 pages, got ${pages}`);

    const all = [];
    for await (const page of paginateListFunctions({ client: this.lambda, pageSize: 50 }, { FunctionVersion: "ALL" })) {
      all.push(...page.Functions);
    }
    eq(all.filter((f) => f.FunctionName === this.name("main")).map((f) => f.FunctionArn).sort(),
      [this.arn(this.name("main"), "$LATEST"), this.arn(this.name("main"), "2")], "ListFunctions(ALL) versions of main");
    eq(all.filter((f) => f.FunctionName.startsWith(prefix)).length, PAGINATED_FUNCTIONS, "ListFunctions(ALL) paged");
  }

  async errors() {
    const missing = this.name("missing");
    const notFound = await expectError(this.lambda, new GetFunctionCommand({ FunctionName: missing }), "ResourceNotFoundException", 404,
      `Function not found: ${this.arn(missing)}`);
    eq(notFound.Type, "User", "ResourceNotFoundException Type member");
    await expectError(this.lambda, new GetFunctionConfigurationCommand({ FunctionName: this.name("main"), Qualifier: "9" }),
      "ResourceNotFoundException", 404, `Function not found: ${this.arn(this.name("main"), "9")}`);
    await expectError(this.lambda, this.createCommand(this.name("main"), handlerZip(1)), "ResourceConflictException", 409,
      `Function already exist: ${this.name("main")}`);
    const invalid = await expectError(this.lambda, this.createCommand(this.name("mem"), handlerZip(1), { MemorySize: 20000 }),
      "ValidationException", 400,
      "1 validation error detected: Value '20000' at 'memorySize' failed to satisfy constraint: Member must have value less than or equal to 10240");
    eq(invalid.Type, undefined, "ValidationException has no Type member");
    await expectError(this.lambda, this.createCommand(this.name("timeout"), handlerZip(1), { Timeout: 1200 }), "ValidationException", 400,
      "1 validation error detected: Value '1200' at 'timeout' failed to satisfy constraint: Member must have value less than or equal to 900");
    const s3 = await expectError(this.lambda, new CreateFunctionCommand({
      FunctionName: this.name("s3"), Runtime: RUNTIME, Role: ROLE, Handler: "index.handler", Code: { S3Bucket: "my-bucket", S3Key: "code.zip" },
    }), "InvalidParameterValueException", 400);
    check(s3.message.includes("S3Bucket"), `S3 error message should name S3Bucket: ${s3.message}`);

    // A body over the 70,167,211-byte CreateFunction limit: 53 MB of incompressible data is 70.7 MB in base64.
    const huge = zipOf({ "payload.bin": randomBytes(53_000_000) }, { store: true });
    await expectError(this.lambda, this.createCommand(this.name("huge"), huge), "RequestEntityTooLargeException", 413,
      "Request must be smaller than 70167211 bytes for the CreateFunction operation");

    await expectError(this.client(this.key, `${this.secret}x`), new ListFunctionsCommand({}), "InvalidSignatureException", 403);
    await expectError(this.client("AKIAUNKNOWNKEY000000", "secret"), new ListFunctionsCommand({}), "UnrecognizedClientException", 403,
      "The security token included in the request is invalid.");
  }

  async cleanup() {
    const layer = `js-${this.run}-layer`;
    await this.send(new DeleteLayerVersionCommand({ LayerName: layer, VersionNumber: 2 }));
    eq((await this.send(new ListLayerVersionsCommand({ LayerName: layer }))).LayerVersions, [], "layer versions left after cleanup");
    for (let i = 0; i < this.created.length; i += 8) {
      await Promise.all(this.created.slice(i, i + 8).map((name) => this.send(new DeleteFunctionCommand({ FunctionName: name }))));
    }
    const left = [];
    for await (const page of paginateListFunctions({ client: this.lambda }, {})) {
      left.push(...page.Functions.map((f) => f.FunctionName).filter((n) => n.startsWith(`js-${this.run}-`)));
    }
    eq(left, [], "functions left after cleanup");
    const settings = await this.send(new GetAccountSettingsCommand({}));
    eq([settings.AccountLimit.CodeSizeZipped, settings.AccountLimit.CodeSizeUnzipped], [52428800, 262144000], "GetAccountSettings limits");
  }
}

async function main() {
  for (const variable of ["AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_REGION"]) {
    if (!process.env[variable]) {
      console.error(`FAIL: set ${variable} (see the header of control-plane.mjs)`);
      return 2;
    }
  }

  const scenario = new Scenario();
  for (const step of ["lifecycle", "layers", "pagination", "errors", "cleanup"]) {
    const started = performance.now();
    try {
      await scenario[step]();
    } catch (e) {
      if (e instanceof CheckFailed) {
        console.error(`FAIL in ${step}: ${e.message}`);
      } else {
        console.error(`FAIL in ${step}: unexpected ${e.name} (HTTP ${e.$metadata?.httpStatusCode}): ${e.message}`);
        console.error(e.stack);
      }
      return 1;
    }
    console.log(`ok ${step} (${((performance.now() - started) / 1000).toFixed(2)}s)`);
  }
  console.log("JS SDK control plane: all checks passed");
  return 0;
}

process.exitCode = await main();
