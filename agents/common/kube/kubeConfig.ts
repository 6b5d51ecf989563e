import { KubeConfig } from '@kubernetes/client-node';

/** The agent's kubeconfig: a file when configured, otherwise the pod's service account. */
export function loadKubeConfig(path: string | undefined): KubeConfig {
  const kc = new KubeConfig();
  if (path === undefined) kc.loadFromCluster();
  else kc.loadFromFile(path);
  return kc;
}
