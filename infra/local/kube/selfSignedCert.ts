/**
 * A throw-away certificate authority and a loopback server certificate, made with node:crypto
 * alone (no openssl binary needed). kubectl (Go) and client-node (Node TLS) both verify the
 * server against the CA and need the address in subjectAltName: the leaf names `localhost`,
 * 127.0.0.1 and ::1. Keys are ECDSA P-256, certificates X.509 v3 in DER built by hand.
 */
import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';

function length(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let x = n; x > 0; x = Math.floor(x / 256)) bytes.unshift(x & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}
function tlv(tag: number, content: Buffer): Buffer {
  return Buffer.concat([Buffer.from([tag]), length(content.length), content]);
}
const seq = (...items: Buffer[]): Buffer => tlv(0x30, Buffer.concat(items));
const set = (...items: Buffer[]): Buffer => tlv(0x31, Buffer.concat(items));
function integer(b: Buffer): Buffer {
  let v = b;
  while (v.length > 1 && v[0] === 0 && (v[1]! & 0x80) === 0) v = v.subarray(1);
  if ((v[0]! & 0x80) !== 0) v = Buffer.concat([Buffer.from([0]), v]);
  return tlv(0x02, v);
}
function oid(dotted: string): Buffer {
  const [a, b, ...rest] = dotted.split('.').map(Number);
  const out = [a! * 40 + b!];
  for (const n of rest) {
    const enc: number[] = [n & 0x7f];
    for (let x = Math.floor(n / 128); x > 0; x = Math.floor(x / 128)) enc.unshift((x & 0x7f) | 0x80);
    out.push(...enc);
  }
  return tlv(0x06, Buffer.from(out));
}
const utf8 = (s: string): Buffer => tlv(0x0c, Buffer.from(s, 'utf8'));
function time(d: Date): Buffer {
  const iso = d
    .toISOString()
    .replace(/[-:T]/g, '')
    .replace(/\.\d{3}Z$/, 'Z');
  return d.getUTCFullYear() < 2050
    ? tlv(0x17, Buffer.from(iso.slice(2), 'ascii'))
    : tlv(0x18, Buffer.from(iso, 'ascii'));
}
const bitString = (b: Buffer, unused = 0): Buffer => tlv(0x03, Buffer.concat([Buffer.from([unused]), b]));
const octets = (b: Buffer): Buffer => tlv(0x04, b);
const explicit = (n: number, content: Buffer): Buffer => tlv(0xa0 + n, content);
const TRUE = tlv(0x01, Buffer.from([0xff]));
const ECDSA_SHA256 = seq(oid('1.2.840.10045.4.3.2'));

function ext(id: string, critical: boolean, value: Buffer): Buffer {
  return critical ? seq(oid(id), TRUE, octets(value)) : seq(oid(id), octets(value));
}
function name(cn: string): Buffer {
  return seq(set(seq(oid('2.5.4.3'), utf8(cn))));
}
function pem(der: Buffer): string {
  const b64 = der.toString('base64').replace(/(.{64})/g, '$1\n');
  return `-----BEGIN CERTIFICATE-----\n${b64.replace(/\n$/, '')}\n-----END CERTIFICATE-----\n`;
}

interface Issued {
  readonly certPem: string;
  readonly keyPem: string;
  readonly key: KeyObject;
  readonly keyId: Buffer;
  readonly subject: Buffer;
}

function issue(opts: {
  readonly cn: string;
  readonly ca: boolean;
  readonly issuer?: Issued;
  readonly notBefore: Date;
  readonly notAfter: Date;
}): Issued {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  const keyId = createHash('sha1').update(spki).digest();
  const subject = name(opts.cn);
  const issuerName = opts.issuer?.subject ?? subject;
  const signer = opts.issuer?.key ?? privateKey;
  const authorityKeyId = opts.issuer?.keyId ?? keyId;
  const exts = [
    ext('2.5.29.19', true, opts.ca ? seq(TRUE) : seq()),
    // keyUsage: CA = digitalSignature|keyCertSign|cRLSign; leaf = digitalSignature|keyEncipherment
    ext('2.5.29.15', true, opts.ca ? bitString(Buffer.from([0x86]), 1) : bitString(Buffer.from([0xa0]), 5)),
    ext('2.5.29.14', false, octets(keyId)),
    ext('2.5.29.35', false, seq(tlv(0x80, authorityKeyId))),
  ];
  if (!opts.ca) {
    exts.push(ext('2.5.29.37', false, seq(oid('1.3.6.1.5.5.7.3.1'), oid('1.3.6.1.5.5.7.3.2'))));
    const loopback6 = Buffer.alloc(16);
    loopback6[15] = 1;
    exts.push(
      ext(
        '2.5.29.17',
        false,
        seq(
          tlv(0x82, Buffer.from('localhost')),
          tlv(0x87, Buffer.from([127, 0, 0, 1])),
          tlv(0x87, loopback6),
        ),
      ),
    );
  }
  const tbs = seq(
    explicit(0, integer(Buffer.from([2]))),
    integer(randomBytes(16)),
    ECDSA_SHA256,
    issuerName,
    seq(time(opts.notBefore), time(opts.notAfter)),
    subject,
    spki,
    explicit(3, seq(...exts)),
  );
  const signature = sign('sha256', tbs, signer);
  const der = seq(tbs, ECDSA_SHA256, bitString(signature));
  return {
    certPem: pem(der),
    keyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    key: privateKey,
    keyId,
    subject,
  };
}

/** A CA and a server certificate for localhost/127.0.0.1/::1, valid for a year from `now`. */
export interface LoopbackTls {
  readonly caPem: string;
  readonly certPem: string;
  readonly keyPem: string;
}

export function createLoopbackTls(now: Date = new Date()): LoopbackTls {
  const notBefore = new Date(now.getTime() - 60 * 60 * 1000);
  const notAfter = new Date(now.getTime() + 365 * 24 * 60 * 60 * 1000);
  const ca = issue({ cn: 'egret-kube-stand-in-ca', ca: true, notBefore, notAfter });
  const leaf = issue({ cn: 'kube-apiserver', ca: false, issuer: ca, notBefore, notAfter });
  return { caPem: ca.certPem, certPem: leaf.certPem, keyPem: leaf.keyPem };
}
