/** HTTP trigger route templates: matching, constraints, optional and catch-all parameters, precedence. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  compareRoutePrecedence,
  compileRouteTemplate,
} from '../../infra/local/functions-host/routeTemplate.js';

describe('route templates', () => {
  it('matches literals case-insensitively and decodes parameters', () => {
    const t = compileRouteTemplate('clusters/{cluster}/configs/{uid?}');
    assert.deepEqual(t.match('Clusters/c%2F1/CONFIGS'), { cluster: 'c/1' });
    assert.deepEqual(t.match('clusters/c1/configs/u-1/'), { cluster: 'c1', uid: 'u-1' });
    assert.equal(t.match('clusters/c1'), undefined);
    assert.equal(t.match('clusters/c1/configs/u/extra'), undefined);
  });

  it('applies constraints', () => {
    assert.equal(compileRouteTemplate('p/{n:int}').match('p/x'), undefined);
    assert.deepEqual(compileRouteTemplate('p/{n:int}').match('p/-3'), { n: '-3' });
    assert.equal(compileRouteTemplate('p/{g:guid}').match('p/nope'), undefined);
  });

  it('orders literal routes before parameter and catch-all routes', () => {
    const routes = ['a/{*rest}', 'a/{x}', 'a/b', 'a/{x:int}'].map(compileRouteTemplate);
    routes.sort(compareRoutePrecedence);
    assert.deepEqual(
      routes.map((r) => r.template),
      ['a/b', 'a/{x:int}', 'a/{x}', 'a/{*rest}'],
    );
  });

  it('rejects templates the host would not accept here', () => {
    assert.throws(() => compileRouteTemplate('a/{x?}/b'), /optional parameters must be trailing/);
    assert.throws(() => compileRouteTemplate('a/{x:weird}'), /unknown constraint "weird"/);
    assert.throws(() => compileRouteTemplate('a/{x}/{X}'), /appears twice/);
  });
});
