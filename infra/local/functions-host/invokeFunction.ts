/**
 * One invocation, performed as the Node worker's InvocationHandler does: the app's own programming
 * model (`@azure/functions`) turns the RPC request into handler arguments (a real `HttpRequest`,
 * parsed JSON, camel-cased timer info, an `InvocationContext` with trigger metadata), preInvocation
 * hooks run, the handler runs, postInvocation hooks run, and the model converts the result back.
 * A handler error is rethrown after the postInvocation hooks, as the worker does.
 */
import { randomUUID } from 'node:crypto';
import type {
  CapturedFunction,
  CapturedHook,
  CoreInvocationContext,
  ProgrammingModel,
  RpcInvocationRequest,
  RpcInvocationResponse,
  RpcTypedData,
} from './functionsCore.js';

/** A log line from the app or the library. */
export interface HostLogEntry {
  readonly level: string;
  /** `user` for `context.log`/`warn`/…, `system` for the library's own messages. */
  readonly category: string;
  readonly message: string;
  readonly functionName?: string;
  readonly invocationId?: string;
}

export type HostLogSink = (entry: HostLogEntry) => void;

export interface InvocationInput {
  /** The trigger's data, sent under the trigger binding's name. */
  readonly triggerData: RpcTypedData;
  readonly triggerMetadata?: Readonly<Record<string, RpcTypedData>>;
  readonly retryContext?: { readonly retryCount: number; readonly maxRetryCount: number };
}

export interface InvocationEnvironment {
  readonly model: ProgrammingModel;
  readonly hooks: readonly CapturedHook[];
  /** Shared by all hooks of the app (the worker's `appHookData`). */
  readonly appHookData: Record<string, unknown>;
  readonly log: HostLogSink;
}

/** Invokes `fn` once and returns the programming model's RPC response. Rejects with the handler's error. */
export async function invokeFunction(
  env: InvocationEnvironment,
  fn: CapturedFunction,
  input: InvocationInput,
): Promise<RpcInvocationResponse> {
  const invocationId = randomUUID();
  const functionName = fn.metadata.name;
  const triggerName = Object.entries(fn.metadata.bindings).find(
    ([, b]) => b.direction === 'in' && /trigger$/i.test(b.type ?? ''),
  )?.[0];
  if (triggerName === undefined) throw new Error(`function '${functionName}' has no trigger binding`);
  const request: RpcInvocationRequest = {
    invocationId,
    functionId: functionName,
    inputData: [{ name: triggerName, data: input.triggerData }],
    triggerMetadata: input.triggerMetadata ?? {},
    ...(input.retryContext ? { retryContext: input.retryContext } : {}),
  };
  const coreCtx: CoreInvocationContext = {
    invocationId,
    request,
    metadata: fn.metadata,
    state: undefined,
    log: (level, category, message) => env.log({ level, category, message, functionName, invocationId }),
  };
  const model = env.model.getInvocationModel(coreCtx);
  const { context, inputs } = await model.getArguments();
  const hookData: Record<string, unknown> = {};

  const pre = {
    hookData,
    appHookData: env.appHookData,
    invocationContext: context,
    functionCallback: fn.callback,
    inputs,
  };
  coreCtx.state = 'preInvocationHooks';
  try {
    await runHooks(env, 'preInvocation', pre);
  } finally {
    coreCtx.state = undefined;
  }

  const post = {
    hookData,
    appHookData: env.appHookData,
    invocationContext: context,
    inputs: pre.inputs,
    result: null as unknown,
    error: null as unknown,
  };
  coreCtx.state = 'invocation';
  try {
    post.result = await model.invokeFunction(context, pre.inputs, pre.functionCallback);
  } catch (e) {
    post.error = e;
  } finally {
    coreCtx.state = undefined;
  }
  coreCtx.state = 'postInvocationHooks';
  try {
    await runHooks(env, 'postInvocation', post);
  } finally {
    coreCtx.state = undefined;
  }
  // eslint-disable-next-line @typescript-eslint/only-throw-error -- rethrow whatever the handler threw, as the worker does
  if (post.error !== null && post.error !== undefined) throw post.error;
  return model.getResponse(context, post.result);
}

/** Runs the hooks of one kind in registration order, as the worker's `executeHooks` does. */
export async function runHooks(
  env: Pick<InvocationEnvironment, 'hooks'>,
  name: CapturedHook['name'],
  context: object,
): Promise<void> {
  for (const h of env.hooks) if (h.name === name) await h.callback(context);
}
