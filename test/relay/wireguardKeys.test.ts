/**
 * The gateway key pair: X25519 from node:crypto in WireGuard's base64 encoding. Checked against the
 * RFC 7748 §6.1 test vectors, against `wg pubkey` (wireguard-tools), and against the PodEndpoint CRD's
 * key pattern.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { generateWireGuardKeyPair, wireGuardPublicKey } from '../../agents/common/wireguard.js';
import { isWireGuardKey } from '../../agents/relay/keySecrets.js';
import { renderCrds } from '../../infra/k8s/renderCrds.js';

const hexToBase64 = (hex: string): string => Buffer.from(hex, 'hex').toString('base64');

// RFC 7748 §6.1 (Curve25519 Diffie-Hellman): Alice's and Bob's private and public keys.
const VECTORS = [
  {
    private: '77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a',
    public: '8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a',
  },
  {
    private: '5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb',
    public: 'de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f',
  },
];

function wgAvailable(): boolean {
  return spawnSync('wg', ['--version']).status === 0;
}

describe('WireGuard keys', () => {
  it('derives the RFC 7748 public keys, base64-encoded as WireGuard prints them', () => {
    for (const v of VECTORS) {
      assert.equal(wireGuardPublicKey(hexToBase64(v.private)), hexToBase64(v.public));
    }
    assert.equal(hexToBase64(VECTORS[0]!.public), 'hSDwCYkwp1R0i33ctD73Wg2/Og0mOBr066SpjqqbTmo=');
  });

  it('generates pairs whose public key is the derivation of the private key, in WireGuard encoding', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 20; i++) {
      const pair = generateWireGuardKeyPair();
      assert.ok(isWireGuardKey(pair.privateKey), pair.privateKey);
      assert.ok(isWireGuardKey(pair.publicKey), pair.publicKey);
      assert.equal(wireGuardPublicKey(pair.privateKey), pair.publicKey);
      // Clamped as `wg genkey` clamps: low 3 bits clear, top bit clear, second-top bit set.
      const raw = Buffer.from(pair.privateKey, 'base64');
      assert.equal(raw[0]! & 7, 0);
      assert.equal(raw[31]! & 0xc0, 0x40);
      seen.add(pair.privateKey);
    }
    assert.equal(seen.size, 20);
  });

  it(
    'agrees with `wg pubkey`',
    { skip: !wgAvailable() && process.env['CI'] !== 'true' ? 'wg not installed' : false },
    () => {
      for (let i = 0; i < 5; i++) {
        const pair = generateWireGuardKeyPair();
        const out = spawnSync('wg', ['pubkey'], { input: `${pair.privateKey}\n`, encoding: 'utf8' });
        assert.equal(out.status, 0, out.stderr);
        assert.equal(out.stdout.trim(), pair.publicKey);
      }
    },
  );

  it('the strict key check accepts exactly what the PodEndpoint CRD accepts', () => {
    const pe = renderCrds().find((c) => c.fileName.startsWith('podendpoints.'))!;
    const pattern = new RegExp(
      (
        pe.object as {
          spec: {
            versions: {
              schema: {
                openAPIV3Schema: {
                  properties: { spec: { properties: { podPublicKey: { pattern: string } } } };
                };
              };
            }[];
          };
        }
      ).spec.versions[0]!.schema.openAPIV3Schema.properties.spec.properties.podPublicKey.pattern,
    );
    const samples = [
      generateWireGuardKeyPair().publicKey,
      'hSDwCYkwp1R0i33ctD73Wg2/Og0mOBr066SpjqqbTmo=',
      'hSDwCYkwp1R0i33ctD73Wg2/Og0mOBr066SpjqqbTmp=', // non-zero padding bits
      'hSDwCYkwp1R0i33ctD73Wg2_Og0mOBr066SpjqqbTmo=', // base64url alphabet
      'hSDwCYkwp1R0i33ctD73Wg2/Og0mOBr066SpjqqbTmo', // no padding
      '',
    ];
    for (const s of samples) assert.equal(isWireGuardKey(s), pattern.test(s), s);
    assert.deepEqual(
      samples.map((s) => isWireGuardKey(s)),
      [true, true, false, false, false, false],
    );
  });
});
