/**
 * A throw-away CA and a server certificate for localhost / 127.0.0.1 / ::1, minted at start, for the
 * local stand-ins (ARM, Kubernetes API). Node cannot create X.509
 * certificates itself; `selfsigned` (WebCrypto + @peculiar/x509, EC P-256, ~30 ms) avoids depending on
 * an `openssl` binary. The ARM SDK clients trust the CA through `tlsOptions: { ca }`, so their bearer-token
 * policy (which refuses plain http) stays in place; kubectl and client-node read it from the kubeconfig.
 */
import { generate } from 'selfsigned';

export interface LoopbackCertificates {
  readonly caPem: string;
  readonly certPem: string;
  readonly keyPem: string;
}

/** @param caName the CA's common name, so a person can tell which stand-in issued a certificate. */
export async function createLoopbackCertificates(caName: string): Promise<LoopbackCertificates> {
  const ca = await generate([{ name: 'commonName', value: caName }], {
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
          { type: 7, ip: '::1' },
          { type: 2, value: 'localhost' },
        ],
      },
    ],
  });
  return { caPem: ca.cert, certPem: leaf.cert, keyPem: leaf.private };
}
