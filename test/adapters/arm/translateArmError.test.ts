/**
 * The error translation table at the ARM adapter edge: every SDK failure shape becomes one of egret's
 * error classes with the ARM code in `detail`, and Retry-After becomes `retryAfterMs`.
 * (The same shapes are produced for real by the stand-in in armWriter.contract.test.ts.)
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createHttpHeaders, createPipelineRequest, RestError } from '@azure/core-rest-pipeline';
import { translateArmError } from '../../../shared/adapters/arm/translateArmError.js';
import {
  ConfigError,
  ConflictError,
  InvariantError,
  NotFoundError,
  TransientError,
  ValidationError,
} from '../../../shared/core/errors.js';

const context = { action: 'PUT', resourceId: '/subscriptions/s/resourceGroups/rg/providers/X/y/z' };

function restError(
  statusCode: number | undefined,
  code: string | undefined,
  headers: Record<string, string> = {},
) {
  const request = createPipelineRequest({ url: 'https://127.0.0.1/x' });
  return new RestError(`${code ?? 'error'} happened`, {
    ...(statusCode === undefined ? {} : { statusCode }),
    ...(code === undefined ? {} : { code }),
    request,
    ...(statusCode === undefined
      ? {}
      : { response: { status: statusCode, headers: createHttpHeaders(headers), request } }),
  });
}

type ErrorClass = new (...args: never[]) => Error;

describe('translateArmError', () => {
  const table: readonly {
    readonly name: string;
    readonly error: unknown;
    readonly want: ErrorClass;
    readonly detail?: string;
  }[] = [
    {
      name: '412 PreconditionFailed',
      error: restError(412, 'PreconditionFailed'),
      want: ConflictError,
      detail: 'PreconditionFailed',
    },
    {
      name: '409 concurrent VMSS operation',
      error: restError(409, 'Conflict'),
      want: ConflictError,
      detail: 'Conflict',
    },
    {
      name: '409 AnotherOperationInProgress',
      error: restError(409, 'AnotherOperationInProgress'),
      want: ConflictError,
    },
    {
      name: '409 quota (OperationNotAllowed) is refused, not a conflict',
      error: restError(409, 'OperationNotAllowed'),
      want: ValidationError,
      detail: 'OperationNotAllowed',
    },
    {
      name: '404 ResourceGroupNotFound',
      error: restError(404, 'ResourceGroupNotFound'),
      want: NotFoundError,
      detail: 'ResourceGroupNotFound',
    },
    {
      name: '429 after retries',
      error: restError(429, 'SubscriptionRequestsThrottled', { 'retry-after': '7' }),
      want: TransientError,
    },
    {
      name: '429 Compute throttling (OperationNotAllowed) stays transient',
      error: restError(429, 'OperationNotAllowed', { 'retry-after': '3' }),
      want: TransientError,
    },
    { name: '500', error: restError(500, 'InternalServerError'), want: TransientError },
    { name: '503', error: restError(503, 'ServiceUnavailable'), want: TransientError },
    {
      name: 'network error without status',
      error: restError(undefined, 'REQUEST_SEND_ERROR'),
      want: TransientError,
    },
    {
      name: '400 SubnetIsFull',
      error: restError(400, 'SubnetIsFull'),
      want: ValidationError,
      detail: 'SubnetIsFull',
    },
    {
      name: '400 PublicIpPrefixOutOfIpAddresses',
      error: restError(400, 'PublicIpPrefixOutOfIpAddresses'),
      want: ValidationError,
    },
    {
      name: '400 InvalidParameter (upstream #645)',
      error: restError(400, 'InvalidParameter'),
      want: ValidationError,
      detail: 'InvalidParameter',
    },
    {
      name: '400 IpConfigurationCountLimitReachedForNic',
      error: restError(400, 'IpConfigurationCountLimitReachedForNic'),
      want: ValidationError,
    },
    {
      name: '403 AuthorizationFailed',
      error: restError(403, 'AuthorizationFailed'),
      want: ValidationError,
      detail: 'AuthorizationFailed',
    },
    { name: '401 without a known code', error: restError(401, 'Whatever'), want: ValidationError },
    {
      name: '400 InUsePublicIpPrefixCannotBeDeleted (state moved on)',
      error: restError(400, 'InUsePublicIpPrefixCannotBeDeleted'),
      want: ConflictError,
      detail: 'InUsePublicIpPrefixCannotBeDeleted',
    },
    { name: '400 NicInUse', error: restError(400, 'NicInUse'), want: ConflictError },
    {
      name: '400 InvalidResourceReference',
      error: restError(400, 'InvalidResourceReference'),
      want: ConflictError,
    },
    {
      name: '400 unknown code: a bug',
      error: restError(400, 'RulesUseSameBackendPortProtocolAndPool'),
      want: InvariantError,
      detail: 'RulesUseSameBackendPortProtocolAndPool',
    },
    {
      name: 'failed LRO, platform code',
      error: new Error('The long-running operation has failed. AllocationFailed. Allocation failed.'),
      want: TransientError,
      detail: 'AllocationFailed',
    },
    {
      name: 'failed LRO, user-caused code',
      error: new Error(
        'The long-running operation has failed. PublicIpPrefixOutOfIpAddressesForVMScaleSet. The prefix has no free addresses.',
      ),
      want: ValidationError,
      detail: 'PublicIpPrefixOutOfIpAddressesForVMScaleSet',
    },
    {
      name: 'failed LRO, conflict code',
      error: new Error('The long-running operation has failed. Conflict. Another operation.'),
      want: ConflictError,
      detail: 'Conflict',
    },
    {
      name: 'failed LRO without an error body',
      error: new Error('The long-running operation has failed'),
      want: TransientError,
    },
    {
      name: 'untrusted TLS certificate',
      error: restError(undefined, 'UNABLE_TO_VERIFY_LEAF_SIGNATURE'),
      want: ConfigError,
    },
    {
      name: 'identity error',
      error: Object.assign(new Error('no IMDS'), { name: 'CredentialUnavailableError' }),
      want: TransientError,
      detail: 'CredentialUnavailableError',
    },
    { name: 'something else entirely', error: new TypeError('x is not a function'), want: InvariantError },
  ];
  for (const row of table) {
    it(`${row.name} → ${row.want.name}`, () => {
      const e = translateArmError(row.error, context);
      assert.ok(e instanceof row.want, `${row.name}: got ${e.name}: ${e.message}`);
      if (row.detail !== undefined) assert.equal((e as { detail?: string }).detail, row.detail);
      assert.ok(e.message.includes(context.resourceId), 'the message names the resource');
    });
  }

  it('Retry-After (seconds, or ms headers) becomes retryAfterMs', () => {
    const seconds = translateArmError(restError(429, 'TooManyRequests', { 'retry-after': '7' }), context);
    assert.ok(seconds instanceof TransientError);
    assert.equal(seconds.retryAfterMs, 7000);
    const ms = translateArmError(
      restError(503, 'ServiceUnavailable', { 'x-ms-retry-after-ms': '250' }),
      context,
    );
    assert.ok(ms instanceof TransientError);
    assert.equal(ms.retryAfterMs, 250);
    const none = translateArmError(restError(500, 'InternalServerError'), context);
    assert.ok(none instanceof TransientError);
    assert.equal(none.retryAfterMs, undefined);
  });

  it('a refusal names the ARM code and message for the status condition', () => {
    const e = translateArmError(restError(400, 'SubnetIsFull'), context);
    assert.ok(e instanceof ValidationError);
    assert.match(e.problems[0]?.message ?? '', /Azure refused \(SubnetIsFull\): SubnetIsFull happened/);
  });

  it('aborts and egret errors pass through unchanged', () => {
    const abort = Object.assign(new Error('aborted'), { name: 'AbortError' });
    assert.equal(translateArmError(abort, context), abort);
    const conflict = new ConflictError('already translated');
    assert.equal(translateArmError(conflict, context), conflict);
  });
});
