import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { armIdKey, parseArmId, sameArmId } from '../../shared/core/armId.js';
import { parseCidr } from '../../shared/core/cidr.js';
import { fnv1a64Hex } from '../../shared/core/fnv1a64.js';
import { md5, toHex } from '../../shared/core/md5.js';
import { pipName } from '../../shared/core/planPool.js';
import { isTableSafeKey, poolKey, standaloneVmsUniqueId, vmPoolUniqueId } from '../../shared/core/pool.js';
import { uuidV3 } from '../../shared/core/uuidV3.js';
import {
  VM_POOL_UUID_NAMESPACE,
  managedResourceName,
  probePath,
  wireguardSecretName,
} from '../../shared/core/wellKnown.js';

describe('hashes and name-based ids', () => {
  it('MD5 matches RFC 1321 test vectors', () => {
    const enc = (s: string) => new TextEncoder().encode(s);
    assert.equal(toHex(md5(enc(''))), 'd41d8cd98f00b204e9800998ecf8427e');
    assert.equal(toHex(md5(enc('abc'))), '900150983cd24fb0d6963f7d28e17f72');
    assert.equal(
      toHex(md5(enc('12345678901234567890123456789012345678901234567890123456789012345678901234567890'))),
      '57edf4a22be3c955ac49da2e2107b67a',
    );
  });

  it('UUIDv3 matches a known vector (DNS namespace, "python.org") and upstream’s VM-pool namespace', () => {
    assert.equal(
      uuidV3('6ba7b810-9dad-11d1-80b4-00c04fd430c8', 'python.org'),
      '6fa459ea-ee8a-3ca4-894e-db77e160355e',
    );
    // Computed independently (Python uuid.uuid3) for the namespace upstream uses in agentpoolvms.go.
    assert.equal(uuidV3(VM_POOL_UUID_NAMESPACE, 'gwpool'), '0ac85383-8182-3559-8e40-dd91da42e59e');
    assert.equal(vmPoolUniqueId('GwPool'), '0ac85383-8182-3559-8e40-dd91da42e59e');
    assert.throws(() => uuidV3('not-a-uuid', 'x'), /not a UUID/);
  });

  it('FNV-1a 64 matches the reference vectors and upstream’s %x public IP names', () => {
    assert.equal(fnv1a64Hex(''), 'cbf29ce484222325');
    assert.equal(fnv1a64Hex('a'), 'af63dc4c8601ec8c');
    assert.equal(fnv1a64Hex('foobar'), '85944171f73967e8');
    assert.match(pipName('egressgateway-uid', 'aks-gw-123-nic'), /^egressgateway-uid-[0-9a-f]{1,16}$/);
  });

  it('derives upstream’s names from a configuration uid', () => {
    assert.equal(managedResourceName('abc'), 'egressgateway-abc');
    assert.equal(probePath('abc'), '/gw/abc');
    assert.equal(wireguardSecretName('abc'), 'sgw-abc');
  });
});

describe('pool keys', () => {
  const cases = [
    [{ kind: 'vmss', resourceGroup: 'RG-GW', vmssName: 'Gw-VMSS' }, 'vmss:rg-gw:gw-vmss'],
    [
      { kind: 'aks-vm-pool', resourceGroup: 'MC_rg_aks_westeurope', poolName: 'gwpool' },
      'aks-vm-pool:mc_rg_aks_westeurope:gwpool',
    ],
    [
      { kind: 'standalone-vms', resourceGroup: 'rg', vmNames: ['vm-b', 'VM-A', 'vm-b'] },
      'standalone-vms:rg:vm-a,vm-b',
    ],
  ] as const;
  for (const [ref, key] of cases) {
    it(`${ref.kind} → ${key}`, () => {
      assert.equal(poolKey(ref), key);
      assert.ok(isTableSafeKey(key));
    });
  }

  it('a very long standalone VM list gets a hashed, still Table-safe key', () => {
    const names = Array.from({ length: 40 }, (_, i) => `gateway-vm-number-${i}`);
    const key = poolKey({ kind: 'standalone-vms', resourceGroup: 'rg', vmNames: names });
    assert.match(key, /^standalone-vms:rg:md5-[0-9a-f]{32}$/);
    assert.equal(
      key,
      poolKey({ kind: 'standalone-vms', resourceGroup: 'RG', vmNames: [...names].reverse() }),
    );
  });

  it('refuses keys Table Storage refuses', () => {
    for (const bad of ['a/b', 'a\\b', 'a#b', 'a?b', 'a\u0001b', '']) assert.ok(!isTableSafeKey(bad), bad);
  });

  it('standalone pool ids depend only on the VM set (order and case ignored)', () => {
    assert.equal(standaloneVmsUniqueId('rg', ['b', 'A']), standaloneVmsUniqueId('RG', ['a', 'B']));
    assert.notEqual(standaloneVmsUniqueId('rg', ['a']), standaloneVmsUniqueId('rg', ['a', 'b']));
  });
});

describe('ARM ids', () => {
  it('parses case-insensitively and keeps names', () => {
    const p = parseArmId(
      '/subscriptions/S/resourcegroups/Rg/providers/Microsoft.Compute/virtualMachineScaleSets/gw/virtualMachines/3',
    );
    assert.equal(p.kind, 'ok');
    if (p.kind !== 'ok') return;
    assert.equal(
      p.resource.id,
      '/subscriptions/S/resourceGroups/Rg/providers/Microsoft.Compute/virtualMachineScaleSets/gw/virtualMachines/3',
    );
    assert.equal(p.resource.type, 'Microsoft.Compute/virtualMachineScaleSets/virtualMachines');
    assert.deepEqual(p.resource.names, ['gw', '3']);
    assert.ok(sameArmId(p.resource.id, p.resource.id.toUpperCase()));
    assert.equal(
      armIdKey('/SUBSCRIPTIONS/s/RESOURCEGROUPS/rg/PROVIDERS/m.n/t/x'),
      '/subscriptions/s/resourcegroups/rg/providers/m.n/t/x',
    );
  });

  const invalid = [
    '',
    'subscriptions/s',
    '/subscriptions/s',
    '/subscriptions/s/resourceGroups/rg',
    '/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/publicIPPrefixes',
    '/subscriptions/s/resourceGroups/rg/providers/A.B/t/n/providers/C.D/u/m',
    '/subscriptions//resourceGroups/rg/providers/A.B/t/n',
  ];
  for (const id of invalid) {
    it(`refuses ${JSON.stringify(id)}`, () => assert.equal(parseArmId(id).kind, 'invalid'));
  }
});

describe('CIDRs', () => {
  const good: [string, string][] = [
    ['10.0.0.0/8', '10.0.0.0/8'],
    ['169.254.169.254/32', '169.254.169.254/32'],
    ['0.0.0.0/0', '0.0.0.0/0'],
    ['2001:DB8::/32', '2001:db8::/32'],
    ['fd00:0:0:0:0:0:0:0/8', 'fd00::/8'],
    ['::ffff:10.0.0.0/104', '::ffff:a00:0/104'],
    ['::/0', '::/0'],
  ];
  for (const [text, canonical] of good) {
    it(`accepts ${text}`, () => {
      const p = parseCidr(text);
      assert.equal(p.kind, 'ok');
      if (p.kind === 'ok') assert.equal(p.cidr.text, canonical);
    });
  }
  const bad: [string, RegExp][] = [
    ['10.0.0.1/8', /host bits set; did you mean 10\.0\.0\.0\/8/],
    ['10.0.0.0', /expected <address>\/<prefix length>/],
    ['10.0.0.0/33', /prefix length must be 0–32/],
    ['010.0.0.0/8', /not an IPv4 or IPv6 address/],
    ['256.0.0.0/8', /not an IPv4 or IPv6 address/],
    ['2001:db8::1/32', /host bits/],
    ['2001:db8:::/32', /not an IPv4 or IPv6 address/],
    ['fe80::1%eth0/64', /not an IPv4 or IPv6 address/],
    ['10.0.0.0/08', /prefix length/],
  ];
  for (const [text, message] of bad) {
    it(`refuses ${text}`, () => {
      const p = parseCidr(text);
      assert.equal(p.kind, 'invalid');
      if (p.kind === 'invalid') assert.match(p.problem, message);
    });
  }
});
