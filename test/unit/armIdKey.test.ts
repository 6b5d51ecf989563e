/**
 * armIdKey is computed without building the parsed id (planners call it per ipConfiguration); it
 * must equal its definition: the lower-cased canonical id when the id parses, else the trimmed id in
 * lower case.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { armIdKey, parseArmId } from '../../shared/core/armId.js';

function definition(id: string): string {
  const parsed = parseArmId(id);
  return (parsed.kind === 'ok' ? parsed.resource.id : id.trim()).toLowerCase();
}

const segment = fc.constantFrom(
  'subscriptions',
  'Subscriptions',
  'resourceGroups',
  'resourcegroups',
  'providers',
  'PROVIDERS',
  'Microsoft.Network',
  'networkInterfaces',
  'ipConfigurations',
  'a',
  'B',
  'x y',
  '',
  ' ',
  'İ',
  'ß',
  'Σ',
);
const idLike = fc
  .tuple(
    fc.constantFrom('', ' ', '/', '//', '\t'),
    fc.array(segment, { maxLength: 12 }),
    fc.constantFrom('', '/', '//', ' ', '/ ', ' /'),
  )
  .map(([head, segments, tail]) => head + segments.join('/') + tail);
const wellFormed = fc
  .array(fc.constantFrom('a', 'Bc', 'providers', 'x', 'İ'), { minLength: 1, maxLength: 6 })
  .map((rest) => `/subscriptions/s/resourceGroups/g/providers/P/${rest.join('/')}`);

describe('armIdKey', () => {
  it('equals the lower-cased canonical id, or the trimmed id, for any string', () => {
    fc.assert(
      fc.property(fc.oneof(idLike, wellFormed, fc.string()), (id) => armIdKey(id) === definition(id)),
      { numRuns: 20_000 },
    );
  });

  it('examples', () => {
    const id = '/subscriptions/S/resourcegroups/RG/providers/Microsoft.Network/networkInterfaces/Nic-1/';
    assert.equal(
      armIdKey(id),
      '/subscriptions/s/resourcegroups/rg/providers/microsoft.network/networkinterfaces/nic-1',
    );
    assert.equal(armIdKey(' not an id/ '), 'not an id/');
    assert.equal(
      armIdKey('/subscriptions/s/resourceGroups/g/providers/P/t'),
      '/subscriptions/s/resourcegroups/g/providers/p/t',
    );
  });
});
