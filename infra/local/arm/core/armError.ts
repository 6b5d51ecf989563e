/**
 * ARM error responses: `{ "error": { "code", "message", "target"?, "details"? } }` with a status.
 * Codes are the ones ARM and the resource providers use; README.md lists where each was found and
 * which ones are assumptions.
 */
import type { JsonObject } from './json.js';

export class ArmError extends Error {
  readonly status: number;
  readonly code: string;
  readonly target: string | undefined;
  readonly details: readonly JsonObject[] | undefined;
  readonly headers: Readonly<Record<string, string>>;

  constructor(
    status: number,
    code: string,
    message: string,
    options: {
      readonly target?: string;
      readonly details?: readonly JsonObject[];
      readonly headers?: Record<string, string>;
    } = {},
  ) {
    super(message);
    this.name = 'ArmError';
    this.status = status;
    this.code = code;
    this.target = options.target;
    this.details = options.details;
    this.headers = options.headers ?? {};
  }

  toBody(): JsonObject {
    const error: JsonObject = { code: this.code, message: this.message };
    if (this.target !== undefined) error['target'] = this.target;
    if (this.details !== undefined) error['details'] = [...this.details];
    return { error };
  }
}

/** Frequently used errors, named after their ARM code. */
export const armErrors = {
  resourceNotFound: (type: string, name: string, resourceGroup: string) =>
    new ArmError(
      404,
      'ResourceNotFound',
      `The Resource '${type}/${name}' under resource group '${resourceGroup}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix`,
    ),
  /** Child resources and RP-answered lookups (subnets, scale set VMs, scale set NICs). */
  notFound: (id: string) => new ArmError(404, 'NotFound', `Resource ${id} not found.`),
  parentNotFound: (parentName: string) =>
    new ArmError(
      404,
      'ParentResourceNotFound',
      `Can not perform requested operation on nested resource. Parent resource '${parentName}' not found.`,
    ),
  resourceGroupNotFound: (rg: string) =>
    new ArmError(404, 'ResourceGroupNotFound', `Resource group '${rg}' could not be found.`),
  invalidParameter: (message: string, target?: string) =>
    new ArmError(400, 'InvalidParameter', message, target === undefined ? {} : { target }),
  invalidReference: (referenced: string, by: string) =>
    new ArmError(
      400,
      'InvalidResourceReference',
      `Resource ${referenced} referenced by resource ${by} was not found. Please make sure that the referenced resource exists, and that both resources are in the same region.`,
    ),
  preconditionFailed: (header: string, value: string) =>
    new ArmError(412, 'PreconditionFailed', `The specified precondition '${header} = ${value}' was not met.`),
  locationRequired: () =>
    new ArmError(400, 'LocationRequired', 'The location property is required for this definition.'),
  invalidRequestContent: (message: string) =>
    new ArmError(
      400,
      'InvalidRequestContent',
      `The request content was invalid and could not be deserialized: '${message}'.`,
    ),
} as const;
