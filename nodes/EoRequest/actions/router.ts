/**
 * Runs the chosen operation for every input item. Each item succeeds or fails on its own: with
 * "Continue On Fail" a failed item becomes `{ error }` and the others go on; otherwise the first
 * failure stops the node with an n8n error naming the item. Items that each download a file run
 * several at once (within the account's connection cap), and still come out in the input's order.
 */
import type { IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';
import { mapDownloads } from '../../core';
import type { EoResource } from '../transport';
import { errorJson, inputError, toNodeError } from '../helpers/errors';
import * as sentinelHub from './sentinelHub';
import * as terrascope from './terrascope';
import type { Operation } from './types';

const RESOURCES: Record<EoResource, Record<string, Operation>> = {
  sentinelHub: sentinelHub.operations,
  terrascope: terrascope.operations,
};

function operationFor(ctx: IExecuteFunctions, itemIndex: number): Operation {
  const resource = ctx.getNodeParameter('resource', itemIndex) as string;
  const operation = ctx.getNodeParameter('operation', itemIndex) as string;
  const found = Object.prototype.hasOwnProperty.call(RESOURCES, resource) ? RESOURCES[resource as EoResource][operation] : undefined;
  if (!found) throw inputError(ctx.getNode(), itemIndex, 'Operation', `"${operation}" is not an operation of "${resource}".`);
  return found;
}

/** What one item came to: its output items, or its error when "Continue On Fail" keeps going. */
type ItemOutcome = { results: INodeExecutionData[] } | { error: ReturnType<typeof toNodeError> };

/** Runs item `itemIndex`; throws only when the node must stop (no "Continue On Fail"). */
async function runItem(ctx: IExecuteFunctions, itemIndex: number, signal?: AbortSignal): Promise<ItemOutcome> {
  try {
    return { results: await operationFor(ctx, itemIndex).execute.call(ctx, itemIndex, signal) };
  } catch (error) {
    const nodeError = toNodeError(ctx.getNode(), error, itemIndex);
    if (ctx.continueOnFail()) return { error: nodeError };
    throw nodeError;
  }
}

/**
 * How many items may run at once: several when every item is an operation that allows it (a
 * download: its connections are capped per account in the core), else one after the other.
 */
async function concurrentItems(ctx: IExecuteFunctions, count: number): Promise<Operation | undefined> {
  if (count < 2) return undefined;
  let operation: Operation;
  try {
    operation = operationFor(ctx, 0);
    for (let i = 1; i < count; i++) if (operationFor(ctx, i) !== operation) return undefined;
  } catch {
    return undefined;
  }
  return operation.connectionOf ? operation : undefined;
}

/** The node's `execute`: every output item is paired with the input item it came from, in the input's order. */
export async function router(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
  const items = this.getInputData();
  let outcomes: ItemOutcome[];
  const concurrent = await concurrentItems(this, items.length);
  const connection = concurrent ? await concurrent.connectionOf!.call(this, 0).catch(() => undefined) : undefined;
  if (connection) {
    const indexes = items.map((_, i) => i);
    // Each item's own failure is in its outcome; what rejects is the execution being cancelled.
    outcomes = await mapDownloads(indexes, { connection, signal: this.getExecutionCancelSignal?.() }, (itemIndex, _i, signal) =>
      runItem(this, itemIndex, signal),
    ).catch((err: unknown) => {
      throw toNodeError(this.getNode(), err, 0);
    });
  } else {
    outcomes = [];
    for (let itemIndex = 0; itemIndex < items.length; itemIndex++) outcomes.push(await runItem(this, itemIndex));
  }
  const returnData: INodeExecutionData[] = [];
  outcomes.forEach((outcome, itemIndex) => {
    if ('error' in outcome) returnData.push({ json: errorJson(outcome.error), pairedItem: { item: itemIndex } });
    else for (const result of outcome.results) returnData.push({ ...result, pairedItem: { item: itemIndex } });
  });
  return [returnData];
}
