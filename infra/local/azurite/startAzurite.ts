import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';

/** Azurite's well-known development account (Azure/Azurite README, "Default Storage Account"). */
export const AZURITE_ACCOUNT = 'devstoreaccount1';
export const AZURITE_KEY =
  'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

/** A running Azurite (blob, queue, table) on ephemeral loopback ports. */
export interface Azurite {
  readonly blobEndpoint: string;
  readonly queueEndpoint: string;
  readonly tableEndpoint: string;
  /** A storage connection string naming all three endpoints (what `AzureWebJobsStorage` holds). */
  readonly connectionString: string;
  /** The CA a client must trust, when started with `tls` (the endpoints are then https). */
  readonly caPem: string | undefined;
  readonly pid: number;
  stop(): Promise<void>;
}

export interface StartAzuriteOptions {
  /** Keep data on disk in this folder instead of in memory. */
  readonly location?: string;
  readonly signal?: AbortSignal;
  /** How long to wait for all three services to listen. */
  readonly startTimeoutMs?: number;
  /**
   * Serve https with this certificate (e.g. from infra/local/tls/createLoopbackCertificates.ts);
   * `caPem` is handed back on the result for the clients to trust.
   */
  readonly tls?: { readonly certPem: string; readonly keyPem: string; readonly caPem: string };
  /**
   * `basic`: accept OAuth bearer tokens (Azurite README, "OAuth Configuration"). Azurite then checks a
   * token's issuer (an Entra ID `https://sts.windows.net/…` prefix), audience (the storage resource
   * `https://storage.azure.com` or the account's service URL) and lifetime, but not its signature.
   * Needs `tls`: Azurite refuses bearer tokens over http, and so do the SDKs' bearer policies.
   */
  readonly oauth?: 'basic';
  /** Fixed loopback ports (default: ephemeral), so a restarted Azurite keeps its connection string. */
  readonly ports?: { readonly blob: number; readonly queue: number; readonly table: number };
}

const listening = /Azurite (Blob|Queue|Table) service is successfully listening at (https?:\/\/\S+)/;

/**
 * Starts Azurite as a child process on ports the OS picks and resolves once the blob, queue
 * and table services all listen. Azurite prints the real port when asked for port 0.
 */
export async function startAzurite(options: StartAzuriteOptions = {}): Promise<Azurite> {
  const require = createRequire(import.meta.url);
  const entry = join(dirname(require.resolve('azurite/package.json')), 'dist', 'src', 'azurite.js');
  const args = [entry, '--skipApiVersionCheck', '--disableTelemetry', '--loose'];
  for (const svc of ['blob', 'queue', 'table'] as const)
    args.push(`--${svc}Host`, '127.0.0.1', `--${svc}Port`, String(options.ports?.[svc] ?? 0));
  if (options.location === undefined) args.push('--inMemoryPersistence');
  else args.push('--location', options.location);
  if (options.oauth !== undefined && options.tls === undefined)
    throw new Error('Azurite accepts OAuth bearer tokens only over https: pass tls with oauth');
  // Azurite reads the certificate and key from files; they live as long as the process.
  const certDir = options.tls ? mkdtempSync(join(tmpdir(), 'egret-azurite-tls-')) : undefined;
  if (certDir !== undefined && options.tls) {
    writeFileSync(join(certDir, 'cert.pem'), options.tls.certPem);
    writeFileSync(join(certDir, 'key.pem'), options.tls.keyPem, { mode: 0o600 });
    args.push('--cert', join(certDir, 'cert.pem'), '--key', join(certDir, 'key.pem'));
  }
  if (options.oauth !== undefined) args.push('--oauth', options.oauth);

  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const endpoints = new Map<string, string>();
  const stderr: string[] = [];
  child.stderr.on('data', (b: Buffer) => stderr.push(b.toString()));

  const exited = new Promise<void>((resolve) =>
    child.once('exit', () => {
      if (certDir !== undefined) rmSync(certDir, { recursive: true, force: true });
      resolve();
    }),
  );
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  };

  let started = false;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => fail(new Error(`Azurite did not start within ${options.startTimeoutMs ?? 30000} ms`)),
      options.startTimeoutMs ?? 30000,
    );
    const onAbort = (): void => fail(new Error('aborted while starting Azurite'));
    options.signal?.addEventListener('abort', onAbort, { once: true });
    function fail(e: Error): void {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      void stop();
      reject(e);
    }
    child.once('exit', (code) => {
      if (!started)
        fail(new Error(`Azurite exited with code ${String(code)} before listening: ${stderr.join('')}`));
    });
    createInterface({ input: child.stdout }).on('line', (line) => {
      const m = listening.exec(line);
      if (!m?.[1] || !m[2]) return;
      endpoints.set(m[1].toLowerCase(), m[2]);
      if (endpoints.size === 3) {
        started = true;
        clearTimeout(timer);
        options.signal?.removeEventListener('abort', onAbort);
        resolve();
      }
    });
  });

  const blobEndpoint = `${endpoints.get('blob')}/${AZURITE_ACCOUNT}`;
  const queueEndpoint = `${endpoints.get('queue')}/${AZURITE_ACCOUNT}`;
  const tableEndpoint = `${endpoints.get('table')}/${AZURITE_ACCOUNT}`;
  return {
    blobEndpoint,
    queueEndpoint,
    tableEndpoint,
    connectionString:
      `DefaultEndpointsProtocol=${options.tls ? 'https' : 'http'};AccountName=${AZURITE_ACCOUNT};AccountKey=${AZURITE_KEY};` +
      `BlobEndpoint=${blobEndpoint};QueueEndpoint=${queueEndpoint};TableEndpoint=${tableEndpoint};`,
    caPem: options.tls?.caPem,
    pid: child.pid ?? -1,
    stop,
  };
}
