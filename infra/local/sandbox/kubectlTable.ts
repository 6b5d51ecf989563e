/**
 * What `kubectl get <resource> [-A]` prints, computed the way kubectl does it: the API server renders
 * the list as a `meta.k8s.io/v1 Table` (the CRD's printer columns; kubectl asks for one with its
 * Accept header), and kubectl lays the rows out with Go's tabwriter (minimum cell width 6, padding 3),
 * column names in upper case, `NAMESPACE` first with `-A`, columns of priority > 0 only with `-o wide`.
 */
import { request } from 'node:https';
import { request as httpRequest } from 'node:http';
import type { KubeStandIn } from '../kube/startKubeStandIn.js';

/** The Accept header kubectl sends for `get`. */
const TABLE_ACCEPT =
  'application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json';

interface Table {
  readonly columnDefinitions: readonly { readonly name: string; readonly priority?: number }[];
  readonly rows: readonly {
    readonly cells: readonly unknown[];
    readonly object?: { readonly metadata?: { readonly namespace?: string } };
  }[];
}

/** The resource and scope of a `kubectl get`. */
export interface KubectlGet {
  readonly group: string;
  readonly version: string;
  readonly plural: string;
  /** `-A` (default) or one namespace. */
  readonly namespace?: string;
  /** `-o wide`. */
  readonly wide?: boolean;
}

/** The text `kubectl get` prints (rows and header), ending with a newline; `No resources found` when empty. */
export async function kubectlGet(kube: KubeStandIn, what: KubectlGet): Promise<string> {
  const scope = what.namespace === undefined ? '' : `/namespaces/${encodeURIComponent(what.namespace)}`;
  const table = JSON.parse(
    await get(kube, `/apis/${what.group}/${what.version}${scope}/${what.plural}?limit=500`),
  ) as Table;
  if (table.rows.length === 0)
    return what.namespace === undefined
      ? 'No resources found\n'
      : `No resources found in ${what.namespace} namespace.\n`;
  const shown = table.columnDefinitions
    .map((c, i) => ({ name: c.name.toUpperCase(), i, priority: c.priority ?? 0 }))
    .filter((c) => what.wide === true || c.priority === 0);
  const allNamespaces = what.namespace === undefined;
  const lines: string[][] = [
    [...(allNamespaces ? ['NAMESPACE'] : []), ...shown.map((c) => c.name)],
    ...table.rows.map((row) => [
      ...(allNamespaces ? [row.object?.metadata?.namespace ?? ''] : []),
      ...shown.map((c) => cellText(row.cells[c.i])),
    ]),
  ];
  return formatColumns(lines);
}

/** Go's tabwriter as kubectl configures it: every cell but the last of a line padded to its column. */
export function formatColumns(lines: readonly (readonly string[])[]): string {
  const widths: number[] = [];
  for (const line of lines)
    line.forEach((cell, i) => {
      if (i < line.length - 1) widths[i] = Math.max(widths[i] ?? 0, 6, cell.length + 3);
    });
  return lines
    .map((line) => line.map((cell, i) => (i < line.length - 1 ? cell.padEnd(widths[i]!) : cell)).join(''))
    .map((l) => `${l}\n`)
    .join('');
}

function cellText(cell: unknown): string {
  if (cell === null || cell === undefined) return '<none>';
  if (typeof cell === 'string') return cell;
  if (typeof cell === 'number' || typeof cell === 'boolean') return String(cell);
  return JSON.stringify(cell);
}

async function get(kube: KubeStandIn, path: string): Promise<string> {
  const url = new URL(path, kube.url);
  const options = {
    method: 'GET',
    headers: { accept: TABLE_ACCEPT, authorization: `Bearer ${kube.token}` },
    ...(kube.caPem === undefined ? {} : { ca: kube.caPem }),
  };
  return new Promise((resolve, reject) => {
    const req = (url.protocol === 'https:' ? request : httpRequest)(url, options, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        if ((res.statusCode ?? 0) >= 300) reject(new Error(`GET ${path}: HTTP ${res.statusCode}: ${body}`));
        else resolve(body);
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}
