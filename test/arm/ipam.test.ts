import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  allocateInPrefix,
  allocateInSubnet,
  allocatePrefix,
  checkStaticAddress,
  formatCidr,
  formatIPv4,
  overlaps,
  parseCidr,
  parseIPv4,
  usableSubnetCount,
} from '../../infra/local/arm/core/ipam.js';
import { idKey, parentId, parseResourceId, resourceTypeOf } from '../../infra/local/arm/core/resourceId.js';

const cidr = (s: string) => {
  const c = parseCidr(s);
  assert.ok(c, s);
  return c;
};

describe('ipam', () => {
  it('parses and formats IPv4 and CIDRs, rejecting malformed input', () => {
    assert.equal(formatIPv4(parseIPv4('10.224.0.4') ?? -1), '10.224.0.4');
    assert.equal(parseIPv4('10.0.0.256'), undefined);
    assert.equal(parseIPv4('10.0.0'), undefined);
    assert.equal(formatCidr(cidr('10.0.0.77/24')), '10.0.0.0/24');
    assert.equal(parseCidr('10.0.0.0/33'), undefined);
    assert.equal(parseCidr('10.0.0.0'), undefined);
  });

  it('hands out subnet addresses from .4 and never the last address (Azure reserves five)', () => {
    const subnet = cidr('10.0.0.0/29');
    assert.equal(usableSubnetCount(subnet), 3);
    const used = new Set<number>();
    const got: string[] = [];
    for (;;) {
      const a = allocateInSubnet(subnet, used);
      if (a === undefined) break;
      used.add(a);
      got.push(formatIPv4(a));
    }
    assert.deepEqual(got, ['10.0.0.4', '10.0.0.5', '10.0.0.6']);
  });

  it('reuses the lowest freed address and allocates aligned blocks', () => {
    const subnet = cidr('10.1.0.0/24');
    const used = new Set([parseIPv4('10.1.0.4') ?? 0, parseIPv4('10.1.0.6') ?? 0]);
    assert.equal(formatIPv4(allocateInSubnet(subnet, used) ?? 0), '10.1.0.5');
    assert.equal(formatIPv4(allocateInSubnet(subnet, used, 16) ?? 0), '10.1.0.16');
  });

  it('classifies static addresses', () => {
    const subnet = cidr('10.2.0.0/24');
    const used = new Set([parseIPv4('10.2.0.9') ?? 0]);
    assert.equal(checkStaticAddress(subnet, parseIPv4('10.3.0.9') ?? 0, used), 'notInSubnet');
    assert.equal(checkStaticAddress(subnet, parseIPv4('10.2.0.2') ?? 0, used), 'reserved');
    assert.equal(checkStaticAddress(subnet, parseIPv4('10.2.0.255') ?? 0, used), 'reserved');
    assert.equal(checkStaticAddress(subnet, parseIPv4('10.2.0.9') ?? 0, used), 'inUse');
    assert.equal(checkStaticAddress(subnet, parseIPv4('10.2.0.10') ?? 0, used), 'ok');
  });

  it('uses every address of a public IP prefix, then reports exhaustion', () => {
    const prefix = cidr('203.0.113.4/31');
    const used = new Set<number>();
    const a = allocateInPrefix(prefix, used);
    used.add(a ?? -1);
    const b = allocateInPrefix(prefix, used);
    used.add(b ?? -1);
    assert.deepEqual([formatIPv4(a ?? 0), formatIPv4(b ?? 0)], ['203.0.113.4', '203.0.113.5']);
    assert.equal(allocateInPrefix(prefix, used), undefined);
  });

  it('carves non-overlapping aligned prefixes from the documentation pools, then the next pool', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 28, max: 31 }), { minLength: 1, maxLength: 40 }), (lengths) => {
        const taken: string[] = [];
        for (const len of lengths) {
          const c = allocatePrefix(['203.0.113.0/24', '198.51.100.0/24'], len, taken);
          if (!c) return;
          assert.equal(c.base % 2 ** (32 - len), 0);
          for (const t of taken) assert.ok(!overlaps(cidr(t), c), `${formatCidr(c)} overlaps ${t}`);
          taken.push(formatCidr(c));
        }
      }),
    );
    const full = Array.from({ length: 16 }, (_, i) => `203.0.113.${i * 16}/28`);
    assert.equal(
      formatCidr(allocatePrefix(['203.0.113.0/24', '198.51.100.0/24'], 28, full) ?? cidr('0.0.0.0/32')),
      '198.51.100.0/28',
    );
  });
});

describe('resource ids', () => {
  it('parses ids case-insensitively and finds parents', () => {
    const id =
      '/subscriptions/s/resourcegroups/RG/providers/Microsoft.Network/loadBalancers/lb/backendAddressPools/p';
    const p = parseResourceId(id);
    assert.equal(p?.resourceGroup, 'RG');
    assert.equal(p && resourceTypeOf(p), 'Microsoft.Network/loadBalancers/backendAddressPools');
    assert.equal(
      parentId(id),
      '/subscriptions/s/resourcegroups/RG/providers/Microsoft.Network/loadBalancers/lb',
    );
    assert.equal(idKey(id), idKey(id.toUpperCase()));
    assert.equal(
      parseResourceId('/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/loadBalancers'),
      undefined,
    );
  });
});
