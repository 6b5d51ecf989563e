#!/usr/bin/env node
/**
 * egret-cni: the chained CNI plugin (spec 1.0: ADD, DEL, CHECK, VERSION). It does no work itself:
 * it forwards the call to the node agent over the agent's unix socket (HTTP), prints the agent's
 * answer, and never hangs (every call has a deadline). DEL succeeds even when the agent is down, so
 * a broken agent can never keep pods from being deleted (upstream issue #759).
 *
 * Its conflist entry: `{"type": "egret-cni", "socketPath": "/var/run/egret/node-agent.sock",
 * "timeoutMs": 20000}`.
 */
import { request } from 'node:http';
import {
  CNI_ERROR,
  type CniErrorBody,
  type CniRequest,
  type CniResult,
  SUPPORTED_CNI_VERSIONS,
  convertResult,
  parseCniArgs,
} from './cniProtocol.js';

interface PluginConf {
  readonly cniVersion?: string;
  readonly name?: string;
  readonly socketPath?: string;
  readonly timeoutMs?: number;
  readonly prevResult?: CniResult;
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
    return command === 'ADD' && prev !== undefined ? JSON.stringify(convertResult(prev, version)) : '';
  }
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
    throw new PluginError(
      CNI_ERROR.tryAgainLater,
      `egret node agent unreachable at ${socketPath}`,
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
