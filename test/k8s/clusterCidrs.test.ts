/**
 * CLUSTER_CIDRS for each AKS network model, from `az aks show -o json` shapes (networkProfile as ARM
 * returns it for kubenet, Azure CNI with node or pod subnets, Azure CNI Overlay, Azure CNI powered by
 * Cilium in overlay and pod-subnet modes, and BYO CNI), and the command docs/install.md runs.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { clusterCidrs, networkModelOf, type AksNetworkView } from '../../infra/k8s/clusterCidrs.js';

const REPO = resolve(import.meta.dirname, '../..');
const profile = (p: NonNullable<AksNetworkView['networkProfile']>): AksNetworkView => ({ networkProfile: p });
const VNET = ['10.224.0.0/12'];

describe('cluster CIDRs by AKS network model', () => {
  const cases: { name: string; aks: AksNetworkView; vnet?: string[]; model: string; want: string[] }[] = [
    {
      name: 'kubenet: pod CIDR + service CIDR',
      aks: profile({
        networkPlugin: 'kubenet',
        podCidr: '10.244.0.0/16',
        podCidrs: ['10.244.0.0/16'],
        serviceCidr: '10.0.0.0/16',
        serviceCidrs: ['10.0.0.0/16'],
      }),
      model: 'kubenet',
      want: ['10.0.0.0/16', '10.244.0.0/16'],
    },
    {
      name: 'Azure CNI Overlay: the overlay pod CIDR, not the VNet',
      aks: profile({
        networkPlugin: 'azure',
        networkPluginMode: 'overlay',
        podCidrs: ['192.168.0.0/16'],
        serviceCidrs: ['172.16.0.0/16'],
      }),
      vnet: VNET,
      model: 'overlay',
      want: ['172.16.0.0/16', '192.168.0.0/16'],
    },
    {
      name: 'Azure CNI powered by Cilium, overlay mode',
      aks: profile({
        networkPlugin: 'azure',
        networkPluginMode: 'overlay',
        networkDataplane: 'cilium',
        podCidrs: ['10.244.0.0/16'],
        serviceCidrs: ['10.0.0.0/16'],
      }),
      model: 'overlay',
      want: ['10.0.0.0/16', '10.244.0.0/16'],
    },
    {
      name: 'Azure CNI (node subnet): pods have VNet addresses, so the VNet',
      aks: profile({
        networkPlugin: 'azure',
        networkPluginMode: null,
        podCidr: null,
        podCidrs: null,
        serviceCidrs: ['10.0.0.0/16'],
      }),
      vnet: VNET,
      model: 'vnet',
      want: ['10.0.0.0/16', '10.224.0.0/12'],
    },
    {
      name: 'Azure CNI powered by Cilium with a pod subnet: the VNet (the pod subnet is in it)',
      aks: profile({ networkPlugin: 'azure', networkDataplane: 'cilium', serviceCidrs: ['10.0.0.0/16'] }),
      vnet: ['10.224.0.0/16', '10.241.0.0/16'],
      model: 'vnet',
      want: ['10.0.0.0/16', '10.224.0.0/16', '10.241.0.0/16'],
    },
    {
      name: 'dual-stack: IPv6 CIDRs are left out (the tunnel is IPv4)',
      aks: profile({
        networkPlugin: 'azure',
        networkPluginMode: 'overlay',
        podCidrs: ['10.244.0.0/16', 'fd12:3456::/64'],
        serviceCidrs: ['10.0.0.0/16', 'fd00::/108'],
      }),
      model: 'overlay',
      want: ['10.0.0.0/16', '10.244.0.0/16'],
    },
  ];
  for (const c of cases)
    it(c.name, () => {
      assert.equal(networkModelOf(c.aks), c.model);
      assert.deepEqual(clusterCidrs(c.aks, c.vnet), c.want);
    });

  it('refuses what it cannot derive, naming the missing input', () => {
    assert.throws(
      () => clusterCidrs(profile({ networkPlugin: 'azure', serviceCidrs: ['10.0.0.0/16'] })),
      /vnetAddressPrefixes/,
    );
    assert.throws(
      () => clusterCidrs(profile({ networkPlugin: 'none', serviceCidrs: ['10.0.0.0/16'] })),
      /by hand/,
    );
    assert.throws(() => clusterCidrs(profile({ networkPlugin: 'weird' })), /networkPlugin/);
  });

  it('runs as the guide runs it: files from az in, one comma list out; exit 1 with the reason', () => {
    const dir = mkdtempSync(join(tmpdir(), 'egret-cidrs-'));
    try {
      writeFileSync(
        join(dir, 'aks.json'),
        JSON.stringify(profile({ networkPlugin: 'azure', serviceCidrs: ['10.0.0.0/16'] })),
      );
      writeFileSync(join(dir, 'vnet.json'), JSON.stringify(VNET));
      const cli = ['--import', 'tsx', join(REPO, 'infra/k8s/clusterCidrs.ts')];
      const out = execFileSync(process.execPath, [...cli, join(dir, 'aks.json'), join(dir, 'vnet.json')], {
        cwd: REPO,
        encoding: 'utf8',
      });
      assert.equal(out, '10.0.0.0/16,10.224.0.0/12\n');
      assert.throws(
        () => execFileSync(process.execPath, [...cli, join(dir, 'aks.json')], { cwd: REPO, stdio: 'pipe' }),
        (e: { status: number; stderr: Buffer }) =>
          e.status === 1 && /vnetAddressPrefixes/.test(e.stderr.toString()),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
