/** A plain HTTPS request to the stand-in (for routes or headers the SDKs do not expose). */
import https from 'node:https';

export interface RawResponse {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: unknown;
}

export function rawRequest(options: {
  readonly endpoint: string;
  readonly caPem: string;
  readonly method: string;
  readonly path: string;
  readonly body?: unknown;
  readonly headers?: Record<string, string>;
  readonly token?: string | null;
}): Promise<RawResponse> {
  const payload = options.body === undefined ? '' : JSON.stringify(options.body);
  const url = new URL(options.path, options.endpoint);
  return new Promise((resolve, reject) => {
    const req = https.request(
      url,
      {
        method: options.method,
        ca: options.caPem,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(payload),
          ...(options.token === null ? {} : { authorization: `Bearer ${options.token ?? 'test-token'}` }),
          ...options.headers,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString();
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: text === '' ? undefined : (JSON.parse(text) as unknown),
          });
        });
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}
