#!/usr/bin/env node
// eks-harness runs the real pulumi-eks 2.8.1 component code (the npm package @pulumi/eks, whose Node.js
// implementation is what the pulumi-resource-eks provider runs when a Go program constructs an eks:index:Cluster)
// under @pulumi/pulumi's mocks, with the inputs the Go program sends, and prints every resource it registers.
//
//   node harness.js < input.json > output.json
//
// Input: {"project", "stack", "region", "name": <logical name of the eks:index:Cluster>, "inputs": {...}} and,
// optionally, "references": {<urn>: {"type", "physicalName", "inputs"}} (what the Go program's mocks know of the
// resources the inputs refer to), "account": {"accountId", "partition", "clusterEndpoint",
// "clusterSecurityGroupId", "certificateAuthorityData"} and "config": {<fully qualified key>: <string>}.
// A string "[resource <urn>]" in the inputs is a reference to a resource the Go program owns: it is deserialized
// exactly as the provider's construct does (a resource reference rehydrated from its URN), so it is not registered
// and not printed. "[unknown]" is an unknown value.
//
// Output: {"resources": [{urn, type, name, parent, provider, custom, inputs, dependsOn, read?, physicalName?,
// version?}], "invokes": [{token, args, result, answered}], "notes": [...]}. The component's children are rooted at
// urn:pulumi:<stack>::<project>::eks:index:Cluster (the caller re-roots them under its recorded component).
// Inputs are plain JSON: secrets unwrapped, unknowns "[unknown]", resource references "[resource <urn>]".
//
// The component runs as in a preview (isDryRun): during `pulumi up` pulumi-eks also polls the cluster's /healthz
// endpoint over the network, which a render must not do; a note says so. pulumi-eks' own kubectl and AWS CLI
// checks run for real; a stub on PATH answers them only when the tool is missing or too old (and a note says so).
"use strict";

const childProcess = require("child_process");
const fs = require("fs");
const http = require("http");
const https = require("https");
const os = require("os");
const path = require("path");
const tls = require("tls");
const util = require("util");

const EKS_VERSION = "2.8.1";
const CLUSTER_TYPE = "eks:index:Cluster";

// Defaults match internal/mockcloud, so the children agree with the rest of the render.
const DEFAULT_ACCOUNT = {
    accountId: "123456789012",
    partition: "aws",
    clusterEndpoint: "https://0123456789ABCDEF0123456789ABCDEF.gr7.us-east-1.eks.amazonaws.com",
    clusterSecurityGroupId: "sg-0c1a2b3c4d5e6f708",
    certificateAuthorityData:
        "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUMvakNDQWVhZ0F3SUJBZ0lCQURBTkJna3Foa2lHOXcwQkFRc0ZBREFWTVJNd0VRWURWUVFERXdwcmRXSmwKLS0tLS1FTkQgQ0VSVElGSUNBVEUtLS0tLQo=",
};

function fail(msg) {
    process.stderr.write(`eks-harness: ${msg}\n`);
    process.exit(1);
}

// stdout carries the JSON only: whatever the SDK or pulumi-eks prints goes to stderr.
for (const level of ["log", "info", "warn", "error", "debug"]) {
    console[level] = (...args) => process.stderr.write(util.format(...args) + "\n");
}

const notes = [];
const note = (msg) => {
    if (!notes.includes(msg)) {
        notes.push(msg);
    }
};
const asyncErrors = [];
process.on("unhandledRejection", (err) => asyncErrors.push(err));

// HarnessError is a failure whose message says it all (bad input, missing install); others get their stack.
class HarnessError extends Error {}

main().then(
    (out) => {
        process.stdout.write(JSON.stringify(out, null, 1) + "\n");
    },
    (err) => fail(err instanceof HarnessError ? err.message : err && err.stack ? err.stack : String(err)),
);

async function main() {
    const input = readInput();
    const account = Object.assign({}, DEFAULT_ACCOUNT, input.account || {});

    // The process environment of whoever runs `pulumi up` reaches pulumi-eks: AWS_PROFILE becomes the kubeconfig's
    // profile. A render describes the stack, not this shell, so it is dropped (and named).
    if (process.env.AWS_PROFILE) {
        note(
            `reads AWS_PROFILE from the environment of \`pulumi up\` and, without providerCredentialOpts, puts it in the kubeconfig it generates; AWS_PROFILE=${process.env.AWS_PROFILE} was set here and ignored for this render`,
        );
        delete process.env.AWS_PROFILE;
    }
    delete process.env.PULUMI_CONFIG;
    delete process.env.PULUMI_CONFIG_SECRET_KEYS;

    for (const pkg of ["@pulumi/pulumi", "@pulumi/eks", "@pulumi/aws", "@pulumi/kubernetes"]) {
        try {
            require.resolve(`${pkg}/package.json`);
        } catch (err) {
            throw new HarnessError(
                `${pkg} is not installed next to harness.js: run \`npm ci --ignore-scripts\` in ${__dirname} (or make deep)`,
            );
        }
    }
    const pulumi = require("@pulumi/pulumi");
    const rpc = require("@pulumi/pulumi/runtime/rpc");
    const settings = require("@pulumi/pulumi/runtime/settings");
    const mocksModule = require("@pulumi/pulumi/runtime/mocks");
    const eksDeps = require("@pulumi/eks/dependencies");
    const certThumbprint = require("@pulumi/eks/cert-thumprint");
    const clusterProvider = require("@pulumi/eks/cmd/provider/cluster");
    const versions = {
        "@pulumi/eks": pkgVersion("@pulumi/eks"),
        "@pulumi/aws": pkgVersion("@pulumi/aws"),
        "@pulumi/kubernetes": pkgVersion("@pulumi/kubernetes"),
        "@pulumi/pulumi": pkgVersion("@pulumi/pulumi"),
    };
    if (versions["@pulumi/eks"] !== EKS_VERSION) {
        throw new HarnessError(`node_modules has @pulumi/eks ${versions["@pulumi/eks"]}, want ${EKS_VERSION}; run npm ci --ignore-scripts`);
    }

    checkTools(eksDeps);
    const activity = recordActivity(certThumbprint);

    // Capture what the SDK sends the (mock) resource monitor: parent, provider and dependencies are only there.
    const registrations = [];
    let seq = 0;
    const proto = mocksModule.MockMonitor.prototype;
    // The mock monitor keeps only the parent's last type in a child's URN; the engine keeps the parent's whole
    // type chain (urn:pulumi:s::p::eks:index:Cluster$eks:index:ServiceRole$aws:iam/role:Role::n), so do that.
    proto.newUrn = function (parent, type, name) {
        if (parent) {
            type = `${parent.split("::")[2]}$${type}`;
        }
        return `urn:pulumi:${input.stack}::${input.project}::${type}::${name}`;
    };
    for (const [method, read] of [
        ["registerResource", false],
        ["readResource", true],
    ]) {
        const original = proto[method];
        proto[method] = function (req, callback) {
            const entry = { seq: seq++, read, req };
            return original.call(this, req, (err, resp) => {
                if (!err) {
                    entry.urn = resp.getUrn();
                    registrations.push(entry);
                }
                callback(err, resp);
            });
        };
    }

    const invokes = [];
    const mocks = {
        newResource: (args) => newResource(args, input, account),
        call: (args) => {
            const { result, answered } = answerInvoke(args.token, args.inputs, input, account);
            invokes.push({ token: args.token, args: plainDeserialized(args.inputs), result, answered });
            if (!answered) {
                note(`invoke ${args.token} could not be answered by the harness; it returned an empty result`);
            }
            return result;
        },
    };
    // preview = true: isDryRun() is what `pulumi preview` sees (see the healthz note below).
    await pulumi.runtime.setMocks(mocks, input.project, input.stack, true);
    const config = Object.assign({ "aws:region": input.region }, input.config || {});
    pulumi.runtime.setAllConfig(config, []);

    // pulumi-eks' warnings (deprecated options and the like) become notes.
    const log = pulumi.log;
    const originalWarn = log.warn;
    const originalError = log.error;
    log.warn = (msg, ...rest) => {
        note(`logged a warning: ${msg}`);
        return originalWarn(msg, ...rest);
    };
    log.error = (msg, ...rest) => {
        note(`logged an error: ${msg}`);
        return originalError(msg, ...rest);
    };

    // Resource references: rehydrated from their URN, as the provider's construct deserializes them; the monitor
    // answers pulumi:pulumi:getResource with what the Go program's mocks know of each.
    const monitor = settings.getMonitor();
    const refs = new Map();
    const wire = toWire(input.inputs, refs);
    for (const urn of refs.keys()) {
        const type = urnType(urn);
        loadResourceModule(type);
        const known = (input.references || {})[urn] || {};
        const id = known.physicalName || known.id || urnName(urn);
        const state = referenceState(type, id, known.inputs || {}, input, account);
        monitor.resources.set(urn, { urn, id, state });
    }
    const args = {};
    for (const [k, v] of Object.entries(wire)) {
        args[k] = rpc.deserializeProperty(v);
    }

    activity.start();
    const constructed = await clusterProvider
        .clusterProviderFactory()
        .construct(input.name, CLUSTER_TYPE, args, {});
    const rootUrn = await constructed.urn.promise();
    for (const v of Object.values(constructed.state)) {
        if (pulumi.Output.isInstance(v)) {
            await v.promise();
        }
    }
    await settle(settings, () => registrations.length + invokes.length);
    activity.stop();
    if (asyncErrors.length > 0) {
        const e = asyncErrors[0];
        throw new Error(`pulumi-eks failed while constructing ${input.name}: ${e && e.stack ? e.stack : e}`);
    }

    const resources = registrations
        .filter((r) => r.urn !== rootUrn && !refs.has(r.urn))
        .map((r) => describe(r, refs))
        .sort((a, b) => cmp(a.name, b.name) || cmp(a.type, b.type) || cmp(a.urn, b.urn));

    addNotes(input, resources, activity, versions);
    return {
        resources,
        invokes: invokes.sort((a, b) => cmp(a.token, b.token) || cmp(JSON.stringify(a.args), JSON.stringify(b.args))),
        notes,
    };
}

function readInput() {
    let text;
    try {
        text = fs.readFileSync(0, "utf8");
    } catch (err) {
        throw new HarnessError(`reading the input from stdin: ${err.message}`);
    }
    let input;
    try {
        input = JSON.parse(text);
    } catch (err) {
        throw new HarnessError(`the input on stdin is not JSON: ${err.message}`);
    }
    for (const key of ["project", "stack", "region", "name"]) {
        if (typeof input[key] !== "string" || input[key] === "") {
            throw new HarnessError(`the input needs a non-empty string "${key}"`);
        }
    }
    if (!input.inputs || typeof input.inputs !== "object" || Array.isArray(input.inputs)) {
        throw new HarnessError(`the input needs an object "inputs" (the eks:index:Cluster's inputs)`);
    }
    return input;
}

function pkgVersion(name) {
    return JSON.parse(fs.readFileSync(require.resolve(`${name}/package.json`), "utf8")).version;
}

// checkTools runs pulumi-eks' own checks for the AWS CLI and kubectl (in the order createCore does) before the
// component does, to learn whether they pass here; a tool that is missing or too old gets a stub on PATH so the
// render completes, and every outcome becomes a note.
function checkTools(eksDeps) {
    const tools = [
        {
            name: "aws",
            check: eksDeps.assertCompatibleAWSCLIExists,
            command: "aws --version",
            need: "the AWS CLI (v1 >= 1.24.0 or v2 >= 2.7.0)",
            version: (out) => out.trim().split(/\s+/)[0],
            stub: 'echo "aws-cli/2.27.0 Python/3.13.0 Linux/stub exe/x86_64 (eks-harness stub)"',
        },
        {
            name: "kubectl",
            check: eksDeps.assertCompatibleKubectlVersionExists,
            command: "kubectl version --client=true --output=json",
            need: "kubectl >= 1.24",
            version: (out) => `kubectl ${JSON.parse(out).clientVersion.gitVersion}`,
            stub: `echo '${JSON.stringify({
                clientVersion: { major: "1", minor: "35", gitVersion: "v1.35.0-eks-harness-stub", platform: "linux/amd64" },
            })}'`,
        },
    ];
    let stubDir;
    for (const tool of tools) {
        let found;
        try {
            tool.check();
            const out = childProcess.execSync(tool.command, { stdio: ["pipe", "pipe", "ignore"], encoding: "utf8" });
            found = tool.version(out);
        } catch (err) {
            const reason = String(err.message || err).split("\n")[0].split(" See ")[0].replace(/\.$/, "");
            if (!stubDir) {
                stubDir = fs.mkdtempSync(path.join(os.tmpdir(), "eks-harness-"));
                process.on("exit", () => fs.rmSync(stubDir, { recursive: true, force: true }));
                process.env.PATH = `${stubDir}${path.delimiter}${process.env.PATH || ""}`;
            }
            const script = path.join(stubDir, tool.name);
            fs.writeFileSync(
                script,
                `#!/bin/sh\n# eks-harness stub: answers pulumi-eks ${EKS_VERSION}'s version check only.\n` +
                    `if [ "$*" = "${tool.command.split(" ").slice(1).join(" ")}" ]; then\n  ${tool.stub}\n  exit 0\nfi\n` +
                    `echo "eks-harness stub ${tool.name}: only \\\`${tool.command}\\\` is answered" >&2\nexit 1\n`,
                { mode: 0o755 },
            );
            note(
                `runs \`${tool.command}\` every time a Cluster is constructed (each preview and up) and fails without it: ${tool.need} must be on PATH for pulumi preview/up (not usable here: ${reason}; a stub answered so the render could complete)`,
            );
            continue;
        }
        note(
            `runs \`${tool.command}\` every time a Cluster is constructed (each preview and up) and fails without it: ${tool.need} must be on PATH for pulumi preview/up (found here: ${found})`,
        );
    }
}

// recordActivity records, while the component is constructed, every process pulumi-eks starts, every file it
// writes and every network connection it opens (refused: the render is offline).
function recordActivity(certThumbprint) {
    const activity = { on: false, processes: [], files: [], network: [], thumbprints: [] };
    activity.start = () => (activity.on = true);
    activity.stop = () => (activity.on = false);
    const wrap = (mod, fn, record) => {
        const original = mod[fn];
        mod[fn] = function (...args) {
            if (activity.on) {
                const blocked = record(...args);
                if (blocked) {
                    throw blocked;
                }
            }
            return original.apply(this, args);
        };
    };
    const commandOf = (cmd, args) => (Array.isArray(args) ? [cmd, ...args].join(" ") : String(cmd));
    for (const fn of ["exec", "execSync", "spawn", "spawnSync", "execFile", "execFileSync", "fork"]) {
        wrap(childProcess, fn, (cmd, args) => {
            activity.processes.push(commandOf(cmd, args));
        });
    }
    for (const fn of ["writeFileSync", "writeFile", "appendFileSync", "appendFile", "createWriteStream"]) {
        wrap(fs, fn, (file) => {
            activity.files.push(typeof file === "number" ? `fd ${file}` : String(file));
        });
    }
    const hostOf = (a) => (typeof a === "string" ? a : a instanceof URL ? a.href : `${a.host || a.hostname}${a.path || ""}`);
    for (const [name, mod] of [
        ["https", https],
        ["http", http],
    ]) {
        for (const fn of ["request", "get"]) {
            wrap(mod, fn, (target) => {
                activity.network.push(`${name} ${hostOf(target)}`);
                return new Error(`eks-harness: network access refused (${name} ${hostOf(target)})`);
            });
        }
    }
    wrap(tls, "connect", (...a) => {
        const opts = a.find((x) => x && typeof x === "object") || {};
        const host = opts.host || opts.servername || a.find((x) => typeof x === "string") || "?";
        activity.network.push(`tls ${host}`);
        return new Error(`eks-harness: network access refused (tls ${host})`);
    });
    // The OIDC provider's thumbprint comes from a TLS handshake with oidc.eks.<region>.<dnsSuffix> (12 tries, 5 s
    // apart); it is answered with a fixed value and named.
    certThumbprint.getIssuerCAThumbprint = (issuerUrl) => {
        const pulumi = require("@pulumi/pulumi");
        return pulumi.output(issuerUrl).apply((u) => {
            activity.thumbprints.push(u);
            return "9e99a48a9960b14926bb7f3b02e22da2b0ab7280";
        });
    };
    return activity;
}

// settle waits until the SDK has no RPC in flight and nothing new was registered or invoked.
async function settle(settings, count) {
    let last = -1;
    for (let i = 0; i < 100; i++) {
        await settings.waitForRPCs();
        await new Promise((resolve) => setImmediate(resolve));
        const n = count();
        if (n === last) {
            return;
        }
        last = n;
    }
    throw new Error("pulumi-eks kept registering resources; gave up waiting");
}

// Wire format (see @pulumi/pulumi/runtime/rpc.js).
const SIG = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";
const RESOURCE_SIG = "5cf8f73096256a8f31e491e813e4eb8e";
const OUTPUT_SIG = "d0e6a833031e9bbcd3f4e8bde6ca49a4";
const ASSET_SIG = "c44067f5952c0a294b673a41bacd8c17";
const ARCHIVE_SIG = "0def7320c3a5731c473e5ecbe6d01bc7";
const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
const REF = /^\[resource (urn:pulumi:[^\]]+)\]$/;

// toWire turns the recorded inputs into what the engine sends a provider's Construct: resource references and
// unknowns in the RPC encoding.
function toWire(v, refs) {
    if (typeof v === "string") {
        const m = REF.exec(v);
        if (m) {
            refs.set(m[1], true);
            return { [SIG]: RESOURCE_SIG, urn: m[1], packageVersion: "" };
        }
        if (v === "[unknown]") {
            return UNKNOWN;
        }
        return v;
    }
    if (Array.isArray(v)) {
        return v.map((e) => toWire(e, refs));
    }
    if (v && typeof v === "object") {
        const out = {};
        for (const [k, e] of Object.entries(v)) {
            out[k] = toWire(e, refs);
        }
        return out;
    }
    return v;
}

function urnType(urn) {
    return urn.split("::")[2].split("$").pop();
}

function urnName(urn) {
    return urn.split("::").slice(3).join("::");
}

// loadResourceModule makes sure the SDK package that owns type has registered its resource module, so that a
// reference to it rehydrates into a live resource.
function loadResourceModule(type) {
    const [pkg, mod] = type.split(":");
    const packages = { aws: "@pulumi/aws", kubernetes: "@pulumi/kubernetes", eks: "@pulumi/eks" };
    const npmName = packages[pkg];
    if (!npmName) {
        throw new HarnessError(`cannot rehydrate a reference to a ${type}: package ${pkg} is not installed in the harness`);
    }
    const lib = require(npmName);
    const top = (mod || "").split("/")[0];
    if (top && top !== "index") {
        void lib[top]; // lazy-loaded modules register themselves when first touched
    }
}

// plain converts a wire value (raw RPC struct JSON) into plain JSON: secrets unwrapped, unknowns "[unknown]",
// resource references "[resource <urn>]", keys sorted.
function plain(v) {
    if (v === UNKNOWN) {
        return "[unknown]";
    }
    if (Array.isArray(v)) {
        return v.map(plain);
    }
    if (v && typeof v === "object") {
        switch (v[SIG]) {
            case SECRET_SIG:
                return plain(v.value);
            case RESOURCE_SIG:
                return `[resource ${v.urn}]`;
            case OUTPUT_SIG:
                return v.value === undefined ? "[unknown]" : plain(v.value);
            case ASSET_SIG:
            case ARCHIVE_SIG:
                return "[asset]";
        }
        const out = {};
        for (const k of Object.keys(v).sort()) {
            out[k] = plain(v[k]);
        }
        return out;
    }
    return v;
}

// plainDeserialized converts deserialized SDK values (as mocks receive them) into plain JSON.
function plainDeserialized(v) {
    if (v === undefined || v === null) {
        return v === undefined ? undefined : null;
    }
    if (Array.isArray(v)) {
        return v.map(plainDeserialized);
    }
    if (typeof v === "object") {
        if (v[SIG] === SECRET_SIG) {
            return plainDeserialized(v.value);
        }
        const out = {};
        for (const k of Object.keys(v).sort()) {
            out[k] = plainDeserialized(v[k]);
        }
        return out;
    }
    return v;
}

function providerUrn(ref) {
    if (!ref) {
        return undefined;
    }
    const i = ref.lastIndexOf("::");
    return ref.startsWith("urn:") && i > 0 ? ref.slice(0, i) : ref;
}

function describe(r, refs) {
    const req = r.req;
    const type = req.getType();
    const name = req.getName();
    const raw = (r.read ? req.getProperties() : req.getObject()).toJavaScript();
    const out = { urn: r.urn, type, name };
    if (req.getParent()) {
        out.parent = req.getParent();
    }
    const provider = providerUrn(req.getProvider());
    if (provider) {
        out.provider = provider;
    }
    out.custom = r.read ? true : req.getCustom();
    out.inputs = plain(raw);
    const deps = [...new Set(req.getDependenciesList())].sort();
    if (deps.length > 0) {
        out.dependsOn = deps;
    }
    if (r.read) {
        out.read = true;
    }
    const physical = physicalName(type, name, out.inputs);
    if (physical) {
        out.physicalName = physical;
    }
    if (req.getVersion()) {
        out.version = req.getVersion();
    }
    return out;
}

// autoNamed maps the types pulumi-eks can register that the AWS provider auto-names to the input holding the name.
const AUTO_NAMED = {
    "aws:iam/role:Role": "name",
    "aws:iam/policy:Policy": "name",
    "aws:iam/instanceProfile:InstanceProfile": "name",
    "aws:ec2/securityGroup:SecurityGroup": "name",
    "aws:ec2/launchConfiguration:LaunchConfiguration": "name",
    "aws:ec2/launchTemplate:LaunchTemplate": "name",
    "aws:cloudformation/stack:Stack": "name",
    "aws:eks/nodeGroup:NodeGroup": "nodeGroupName",
    "aws:eks/fargateProfile:FargateProfile": "fargateProfileName",
};

// physicalName is the explicit name input, or the logical name plus the 7 hex characters auto-naming appends
// (derived from type and name here, so renders are reproducible).
function physicalName(type, name, inputs) {
    const prop = AUTO_NAMED[type];
    if (!prop) {
        return undefined;
    }
    if (typeof inputs[prop] === "string" && inputs[prop] !== "") {
        return inputs[prop];
    }
    return `${name}-${(fnv32a(`${type}::${name}`) & 0xfffffff).toString(16).padStart(7, "0")}`;
}

function fnv32a(s) {
    let h = 0x811c9dc5;
    for (const b of Buffer.from(s, "utf8")) {
        h ^= b;
        h = Math.imul(h, 0x01000193) >>> 0;
    }
    return h >>> 0;
}

function fnv64a(s) {
    let h = 0xcbf29ce484222325n;
    for (const b of Buffer.from(s, "utf8")) {
        h ^= BigInt(b);
        h = (h * 0x100000001b3n) & 0xffffffffffffffffn;
    }
    return h;
}

// ID prefixes AWS gives EC2 ids; the rest are the logical name plus "-id", as in internal/mockcloud.
const ID_PREFIXES = {
    "aws:ec2/securityGroup:SecurityGroup": "sg-",
    "aws:ec2/securityGroupRule:SecurityGroupRule": "sgrule-",
    "aws:ec2/launchTemplate:LaunchTemplate": "lt-",
    "aws:ec2/launchConfiguration:LaunchConfiguration": "",
};

function physicalId(type, name) {
    const prefix = ID_PREFIXES[type];
    if (prefix === undefined) {
        return `${name}-id`;
    }
    return (prefix + fnv64a(`${type}::${name}`).toString(16).padStart(17, "0")).slice(0, prefix.length + 17);
}

function serviceOf(type) {
    const parts = type.split(":");
    if (parts.length !== 3) {
        return ["", ""];
    }
    const [service, kind] = parts[1].split("/");
    return [service, kind || ""];
}

// newResource answers a registration with the inputs plus the computed outputs pulumi-eks reads.
function newResource(args, input, account) {
    const { type, name, inputs, custom } = args;
    if (!custom) {
        return { id: "", state: inputs };
    }
    const region = input.region;
    const state = Object.assign({}, inputs);
    const set = (k, v) => {
        if (state[k] === undefined) {
            state[k] = v;
        }
    };
    let id = args.id || physicalId(type, name);
    const physical = physicalName(type, name, inputs);
    if (physical) {
        set(AUTO_NAMED[type], physical);
    }
    const [service, kind] = serviceOf(type);
    switch (type) {
        case "aws:eks/cluster:Cluster": {
            const clusterName = inputs.name || name;
            id = clusterName;
            set("name", clusterName);
            set("arn", `arn:${account.partition}:eks:${region}:${account.accountId}:cluster/${clusterName}`);
            set("endpoint", account.clusterEndpoint);
            set("certificateAuthority", { data: account.certificateAuthorityData });
            set("certificateAuthorities", [{ data: account.certificateAuthorityData }]);
            set("identities", [
                { oidcs: [{ issuer: `https://oidc.eks.${region}.amazonaws.com/id/0123456789ABCDEF0123456789ABCDEF` }] },
            ]);
            set("status", "ACTIVE");
            set("platformVersion", "eks.1");
            state.vpcConfig = Object.assign({}, inputs.vpcConfig || {}, {
                clusterSecurityGroupId: account.clusterSecurityGroupId,
                vpcId: input.inputs.vpcId,
            });
            break;
        }
        case "aws:iam/role:Role":
        case "aws:iam/policy:Policy":
        case "aws:iam/instanceProfile:InstanceProfile": {
            id = physical;
            set("arn", `arn:${account.partition}:iam::${account.accountId}:${kind}/${physical}`);
            set("uniqueId", `AROA${fnv64a(type + name).toString(16).toUpperCase().padStart(16, "0")}`);
            break;
        }
        case "aws:ec2/securityGroup:SecurityGroup":
            set("arn", `arn:${account.partition}:ec2:${region}:${account.accountId}:security-group/${id}`);
            set("ownerId", account.accountId);
            break;
        case "kubernetes:core/v1:ConfigMap": {
            const meta = inputs.metadata || {};
            id = `${meta.namespace || "default"}/${meta.name || name}`;
            break;
        }
        default:
            if (type.startsWith("pulumi:providers:")) {
                break;
            }
            if (type.startsWith("aws:")) {
                set("arn", `arn:${account.partition}:${service}:${region}:${account.accountId}:${kind}/${id}`);
            }
    }
    return { id, state };
}

// referenceState is what the Go program's mocks know of a referenced resource, plus its computed outputs.
function referenceState(type, id, inputs, input, account) {
    const state = Object.assign({}, inputs);
    const [service, kind] = serviceOf(type);
    if (type.startsWith("aws:iam/")) {
        if (state.name === undefined) {
            state.name = id;
        }
        state.arn = `arn:${account.partition}:iam::${account.accountId}:${kind}/${state.name}`;
    } else if (type.startsWith("aws:")) {
        state.arn = `arn:${account.partition}:${service}:${input.region}:${account.accountId}:${kind}/${id}`;
    }
    return state;
}

// answerInvoke answers the data-source calls pulumi-eks makes, with values of the mocked account.
function answerInvoke(token, args, input, account) {
    const region = input.region;
    const zones = (i) => `${region}${"abcdef"[i % 6]}`;
    const publicSubnets = input.inputs.publicSubnetIds || [];
    const subnets = [...publicSubnets, ...(input.inputs.privateSubnetIds || []), ...(input.inputs.subnetIds || [])];
    const subnetIndex = (id) => Math.max(0, subnets.indexOf(id));
    const isPublic = (id) => publicSubnets.includes(id);
    switch (token) {
        case "aws:index/getPartition:getPartition":
            return {
                answered: true,
                result: { id: account.partition, partition: account.partition, dnsSuffix: "amazonaws.com", reverseDnsPrefix: "com.amazonaws" },
            };
        case "aws:index/getCallerIdentity:getCallerIdentity":
            return {
                answered: true,
                result: {
                    id: account.accountId,
                    accountId: account.accountId,
                    arn: `arn:${account.partition}:iam::${account.accountId}:user/platform`,
                    userId: "AIDAEXAMPLEUSERID",
                },
            };
        case "aws:index/getRegion:getRegion":
            return {
                answered: true,
                result: { id: region, name: region, description: region, endpoint: `ec2.${region}.amazonaws.com` },
            };
        case "aws:ec2/getVpc:getVpc":
            return {
                answered: true,
                result: { id: "vpc-0default0000000000", cidrBlock: "172.31.0.0/16", default: true, ownerId: account.accountId },
            };
        case "aws:ec2/getSubnets:getSubnets":
            return {
                answered: true,
                result: { id: region, ids: ["subnet-0default000000001", "subnet-0default000000002"] },
            };
        case "aws:ec2/getSubnet:getSubnet": {
            const id = args.id;
            return {
                answered: true,
                result: {
                    id,
                    vpcId: input.inputs.vpcId,
                    availabilityZone: zones(subnetIndex(id)),
                    mapPublicIpOnLaunch: isPublic(id),
                    ownerId: account.accountId,
                },
            };
        }
        case "aws:ec2/getRouteTable:getRouteTable": {
            const subnetId = args.subnetId || "";
            const route = isPublic(subnetId)
                ? { cidrBlock: "0.0.0.0/0", gatewayId: "igw-0123456789abcdef0" }
                : { cidrBlock: "0.0.0.0/0", natGatewayId: "nat-0123456789abcdef0" };
            return {
                answered: true,
                result: {
                    id: args.routeTableId || `rtb-${subnetId}`,
                    routeTableId: args.routeTableId || `rtb-${subnetId}`,
                    vpcId: input.inputs.vpcId,
                    routes: [route],
                    associations: subnetId ? [{ subnetId, main: false }] : [{ main: true }],
                },
            };
        }
        case "aws:ec2/getRouteTables:getRouteTables":
            return { answered: true, result: { id: region, ids: ["rtb-main"] } };
        case "aws:ssm/getParameter:getParameter":
            return {
                answered: true,
                result: { id: args.name, name: args.name, type: "String", value: "ami-0123456789abcdef0", insecureValue: "ami-0123456789abcdef0" },
            };
        case "aws:ec2/getAmi:getAmi":
            return {
                answered: true,
                result: {
                    id: "ami-0123456789abcdef0",
                    rootDeviceName: "/dev/xvda",
                    blockDeviceMappings: [{ deviceName: "/dev/xvda", ebs: { volume_size: "20", volume_type: "gp3" } }],
                },
            };
    }
    return { answered: false, result: {} };
}

function addNotes(input, resources, activity, versions) {
    const inputs = input.inputs;
    note(
        `the harness ran @pulumi/eks ${versions["@pulumi/eks"]} with @pulumi/aws ${versions["@pulumi/aws"]}, @pulumi/kubernetes ${versions["@pulumi/kubernetes"]} and @pulumi/pulumi ${versions["@pulumi/pulumi"]} (the versions the pulumi-resource-eks ${EKS_VERSION} plugin bundles) under mocks, as a preview`,
    );
    // Versions the children ask the engine for: each package/version pair gets its own default provider.
    const byPackage = {};
    for (const r of resources) {
        if (r.custom && !r.provider && r.version && !r.type.startsWith("pulumi:providers:")) {
            const pkg = r.type.split(":")[0];
            (byPackage[pkg] = byPackage[pkg] || new Set()).add(r.version);
        }
    }
    for (const pkg of Object.keys(byPackage).sort()) {
        note(
            `its ${pkg} resources without an explicit provider request the ${pkg} provider plugin ${[...byPackage[pkg]].sort().join(", ")}: the engine gives them the default ${pkg} provider of that version (a separate default provider, and plugin download, if the program's own ${pkg} resources use another version)`,
        );
    }
    if (inputs.endpointPublicAccess) {
        note(
            "during `pulumi up` (not preview), once the EKS cluster exists, pulumi-eks polls https://<endpoint>/healthz from the machine running Pulumi (up to 60 tries, 5 s apart) before the kubeconfig resolves: the API endpoint must be reachable from there; the harness runs as a preview, so it did not",
        );
    }
    if (activity.processes.length > 0) {
        note(`started these processes while the component was constructed: ${[...new Set(activity.processes)].map((c) => "`" + c + "`").join(", ")}`);
    } else {
        note("started no process while the component was constructed");
    }
    if (activity.files.length > 0) {
        note(`wrote these files while the component was constructed: ${[...new Set(activity.files)].join(", ")}`);
    } else {
        note("wrote no file (no kubeconfig either) while the component was constructed; the kubeconfig is only an output");
    }
    if (activity.network.length > 0) {
        note(`tried to reach the network while the component was constructed (refused here): ${[...new Set(activity.network)].join(", ")}`);
    }
    for (const u of activity.thumbprints) {
        note(
            `fetches the TLS certificate chain of ${u} while the component is constructed (each preview and up) to compute the OIDC provider's thumbprint: that host must be reachable; a fixed thumbprint answered here`,
        );
    }
    // The kubeconfig its Kubernetes providers use: who runs what, and when.
    for (const r of resources) {
        if (r.type !== "pulumi:providers:kubernetes" || typeof r.inputs.kubeconfig !== "string") {
            continue;
        }
        let kc;
        try {
            kc = JSON.parse(r.inputs.kubeconfig);
        } catch (err) {
            continue;
        }
        for (const u of kc.users || []) {
            const exec = u.user && u.user.exec;
            if (exec) {
                note(
                    `its Kubernetes provider ${r.name} authenticates with an exec credential plugin: \`${[exec.command, ...(exec.args || [])].join(" ")}\` runs whenever that provider talks to the cluster (not at construct time)`,
                );
            }
        }
    }
    for (const r of resources) {
        if (r.type === "eks:index:RandomSuffix") {
            note(`registers eks:index:RandomSuffix ${r.name}: its provider appends a random suffix to the input; shown unsuffixed`);
        }
    }
    for (const [k, v] of Object.entries(inputs)) {
        if (JSON.stringify(v).includes('"[secret]"')) {
            note(`input ${k} is a secret in the recording; the harness passed the marker "[secret]" instead of its value`);
        }
    }
}

function cmp(a, b) {
    return a < b ? -1 : a > b ? 1 : 0;
}
