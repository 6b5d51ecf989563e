/** JSON merge patch (RFC 7386), what `application/merge-patch+json` means. Pure. */
import { cloneJson, isJsonObject, type Json } from '../json.js';

/**
 * Applies `patch` to `target`: objects merge key by key, `null` deletes a key, anything else
 * (arrays included) replaces. A non-object patch replaces the whole target.
 */
export function applyMergePatch(target: Json | undefined, patch: Json): Json {
  if (!isJsonObject(patch)) return cloneJson(patch);
  const out = isJsonObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = applyMergePatch(out[k], v);
  }
  return out;
}
