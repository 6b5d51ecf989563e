/**
 * A CA and a server certificate for 127.0.0.1 / localhost, minted at start. Node cannot create X.509
 * certificates itself; `selfsigned` (WebCrypto + @peculiar/x509, EC P-256, ~30 ms) avoids depending on
 * an `openssl` binary. The SDK clients trust the CA through `tlsOptions: { ca }`, so their bearer-token
 * policy (which refuses plain http) stays in place.
 */
import { generate } from 'selfsigned';

export interface StandInCertificates {
  readonly caPem: string;
  readonly certPem: string;
  readonly keyPem: string;
}

export async function createCertificates(): Promise<StandInCertificates> {
  const ca = await generate([{ name: 'commonName', value: 'egret local ARM stand-in CA' }], {
    keyType: 'ec',
    algorithm: 'sha256',
    notAfterDate: new Date(Date.now() + 30 * 24 * 3600 * 1000),
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    ],
  });
  const leaf = await generate([{ name: 'commonName', value: '127.0.0.1' }], {
    keyType: 'ec',
    algorithm: 'sha256',
    notAfterDate: new Date(Date.now() + 30 * 24 * 3600 * 1000),
    ca: { key: ca.private, cert: ca.cert },
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: [
          { type: 7, ip: '127.0.0.1' },
          { type: 2, value: 'localhost' },
        ],
      },
    ],
  });
  return { caPem: ca.cert, certPem: leaf.cert, keyPem: leaf.private };
}
