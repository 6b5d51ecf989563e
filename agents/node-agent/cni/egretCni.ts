#!/usr/bin/env node
/**
 * egret-cni: the chained CNI plugin (spec 1.0: ADD, DEL, CHECK, VERSION). It does no work itself:
 * it forwards the call to the node agent over the agent's unix socket (HTTP), prints the agent's
 * answer, and never hangs (every call has a deadline). DEL succeeds even when the agent is down, so
 * a broken agent can never keep pods from being deleted.
 *
 * Safe uninstall (upstream incident #759: a removed agent left its entry in the chain, and every pod
 * ADD on every node failed): the entry declares the capability `io.kubernetes.cri.pod-annotations`,
 * so containerd and CRI-O pass the pod's annotations in `runtimeConfig`. A pod without egret's
 * annotation then passes through here without the agent ever being asked, whatever state the agent
 * is in. An annotated pod fails closed while the agent is unreachable, with a message that says why.
 * On a runtime that passes no annotations the agent decides; when it is unreachable and its
 * heartbeat file is older than `agentGoneAfterSeconds` (or missing), egret is taken to be removed
 * and the pod passes through; a fresher heartbeat (an agent restart) means "try again later".
 *
 * Its conflist entry: `{"type": "egret-cni", "socketPath": "/var/run/egret/node-agent.sock",
 * "timeoutMs": 20000, "heartbeatFile": "/var/run/egret/node-agent.heartbeat",
 * "agentGoneAfterSeconds": 300, "capabilities": {"io.kubernetes.cri.pod-annotations": true}}`.
 */
import { statSync } from 'node:fs';
import { request } from 'node:http';
import {
  CNI_ERROR,
  type CniErrorBody,
  type CniRequest,
  type CniResult,
  SUPPORTED_CNI_VERSIONS,
  POD_ANNOTATIONS_CAPABILITY,
  POD_GATEWAY_ANNOTATION,
  convertResult,
  parseCniArgs,
} from './cniProtocol.js';

interface PluginConf {
  readonly cniVersion?: string;
  readonly name?: string;
  readonly socketPath?: string;
  readonly timeoutMs?: number;
  readonly heartbeatFile?: string;
  readonly agentGoneAfterSeconds?: number;
  readonly prevResult?: CniResult;
  readonly runtimeConfig?: Readonly<Record<string, unknown>>;
}

class PluginError extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly details?: string,
  ) {
    super(message);
  }
}

const DEFAULT_SOCKET = '/var/run/egret/node-agent.sock';

function readStdin(): Promise<string> {
  return new Promise((resolve, reject) => {
    let data = '';
    process.stdin.setEncoding('utf8');
    process.stdin.on('data', (d: string) => (data += d));
    process.stdin.on('end', () => resolve(data));
    process.stdin.on('error', reject);
  });
}

function callAgent(
  socketPath: string,
  path: string,
  body: unknown,
  timeoutMs: number,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const payload = JSON.stringify(body);
    const req = request(
      {
        socketPath,
        path,
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) },
        timeout: timeoutMs,
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(payload);
  });
}

/** The pod's annotations when the runtime passed them (capability declared in the conflist), else undefined. */
function podAnnotations(conf: PluginConf): Readonly<Record<string, unknown>> | undefined {
  const a = conf.runtimeConfig?.[POD_ANNOTATIONS_CAPABILITY];
  return typeof a === 'object' && a !== null && !Array.isArray(a)
    ? (a as Readonly<Record<string, unknown>>)
    : undefined;
}

/** True when the agent's heartbeat file is missing or older than the conf's limit: egret was removed. */
function agentGone(conf: PluginConf): boolean {
  if (conf.heartbeatFile === undefined) return false;
  const limitMs = (conf.agentGoneAfterSeconds ?? 300) * 1000;
  try {
    return Date.now() - statSync(conf.heartbeatFile).mtimeMs > limitMs;
  } catch {
    return true;
  }
}

/** What the chain gets back when egret leaves a pod alone: the previous result, or nothing. */
function passThrough(command: string, prev: CniResult | undefined, version: string): string {
  return command === 'ADD' && prev !== undefined ? JSON.stringify(convertResult(prev, version)) : '';
}

async function run(): Promise<string> {
  const command = process.env.CNI_COMMAND ?? '';
  if (command === 'VERSION')
    return JSON.stringify({ cniVersion: '1.0.0', supportedVersions: SUPPORTED_CNI_VERSIONS });
  if (command !== 'ADD' && command !== 'DEL' && command !== 'CHECK')
    throw new PluginError(4, `unknown CNI_COMMAND ${JSON.stringify(command)}`);
  let conf: PluginConf;
  try {
    conf = JSON.parse(await readStdin()) as PluginConf;
  } catch (e) {
    throw new PluginError(CNI_ERROR.invalidConfig, 'network configuration on stdin is not JSON', String(e));
  }
  const version = conf.cniVersion ?? '1.0.0';
  if (!(SUPPORTED_CNI_VERSIONS as readonly string[]).includes(version))
    throw new PluginError(CNI_ERROR.incompatibleVersion, `cniVersion ${version} is not supported`);
  const args = parseCniArgs(process.env.CNI_ARGS);
  const podName = args.K8S_POD_NAME ?? '';
  const podNamespace = args.K8S_POD_NAMESPACE ?? '';
  const prev = conf.prevResult;
  if (podName === '' || podNamespace === '') {
    // Not a Kubernetes pod: nothing for egret to do.
    return passThrough(command, prev, version);
  }
  const annotations = podAnnotations(conf);
  const gateway = annotations?.[POD_GATEWAY_ANNOTATION];
  // The runtime told us the pod does not opt in: it never depends on the agent (#759).
  if (annotations !== undefined && (typeof gateway !== 'string' || gateway === ''))
    return passThrough(command, prev, version);
  if (command === 'ADD' && prev === undefined)
    throw new PluginError(
      CNI_ERROR.invalidConfig,
      'egret-cni is a chained plugin: ADD needs a prevResult from the main plugin',
    );
  const req: CniRequest = {
    command,
    containerId: process.env.CNI_CONTAINERID ?? '',
    netns: process.env.CNI_NETNS ?? '',
    ifName: process.env.CNI_IFNAME ?? 'eth0',
    podNamespace,
    podName,
    cniVersion: version,
    ...(prev === undefined ? {} : { prevResult: prev }),
  };
  const socketPath = conf.socketPath ?? DEFAULT_SOCKET;
  const timeoutMs = conf.timeoutMs ?? (command === 'ADD' ? 20_000 : 10_000);
  let answer: { status: number; body: string };
  try {
    answer = await callAgent(socketPath, `/v1/cni/${command.toLowerCase()}`, req, timeoutMs);
  } catch (e) {
    if (command === 'DEL') {
      process.stderr.write(
        `egret-cni: DEL: node agent unreachable (${String(e)}); nothing left to undo here\n`,
      );
      return '';
    }
    if (typeof gateway === 'string')
      throw new PluginError(
        CNI_ERROR.tryAgainLater,
        `pod ${podNamespace}/${podName} has ${POD_GATEWAY_ANNOTATION}=${gateway}, but the egret node agent is not running on this node (unreachable at ${socketPath}): the pod starts once the agent serves StaticGatewayConfiguration ${podNamespace}/${gateway}, or without the annotation`,
        String(e),
      );
    if (agentGone(conf)) {
      process.stderr.write(
        `egret-cni: node agent gone (no heartbeat in ${conf.heartbeatFile ?? ''} for ${conf.agentGoneAfterSeconds ?? 300} s): egret was removed from this node; passing ${podNamespace}/${podName} through\n`,
      );
      return passThrough(command, prev, version);
    }
    throw new PluginError(
      CNI_ERROR.tryAgainLater,
      `egret node agent unreachable at ${socketPath} (the runtime passed no pod annotations, so egret cannot tell whether ${podNamespace}/${podName} opts in)`,
      String(e),
    );
  }
  if (answer.status !== 200) {
    if (command === 'DEL') {
      process.stderr.write(`egret-cni: DEL: agent answered ${answer.status}: ${answer.body}\n`);
      return '';
    }
    let err: Partial<CniErrorBody> = {};
    try {
      err = JSON.parse(answer.body) as Partial<CniErrorBody>;
    } catch {
      err = { msg: answer.body };
    }
    throw new PluginError(
      err.code ?? CNI_ERROR.internal,
      err.msg ?? `agent answered ${answer.status}`,
      err.details,
    );
  }
  if (command !== 'ADD') return '';
  const { result } = JSON.parse(answer.body) as { result: CniResult };
  return JSON.stringify(result);
}

run().then(
  (out) => {
    if (out !== '') process.stdout.write(`${out}\n`);
    process.exit(0);
  },
  (e: unknown) => {
    const body: CniErrorBody =
      e instanceof PluginError
        ? {
            cniVersion: '1.0.0',
            code: e.code,
            msg: e.message,
            ...(e.details === undefined ? {} : { details: e.details }),
          }
        : { cniVersion: '1.0.0', code: CNI_ERROR.internal, msg: e instanceof Error ? e.message : String(e) };
    process.stdout.write(`${JSON.stringify(body)}\n`);
    process.exit(1);
  },
);
