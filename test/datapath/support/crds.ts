/**
 * The egret CRDs as the API stand-in serves them: the project's official CRD files
 * (infra/k8s/crds/, rendered by `npm run render:crds`), so the objects the agents read and write are
 * validated against the real schemas (SGC status `gatewayVMProfiles[]` included).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import yaml from 'js-yaml';
import type { JsonObject } from '../../../infra/local/kube/json.js';

const CRD_DIR = resolve(import.meta.dirname, '../../../infra/k8s/crds');

export function egretCrds(): JsonObject[] {
  return readdirSync(CRD_DIR)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((f) => yaml.load(readFileSync(join(CRD_DIR, f), 'utf8')) as JsonObject);
}
