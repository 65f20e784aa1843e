/**
 * Runs the chosen operation for every input item. Each item succeeds or fails on its own: with
 * "Continue On Fail" a failed item becomes `{ error }` and the others go on; otherwise the first
 * failure stops the node with an n8n error naming the item.
 */
import type { IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';
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

/** The node's `execute`: every output item is paired with the input item it came from. */
export async function router(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
  const items = this.getInputData();
  const returnData: INodeExecutionData[] = [];
  for (let itemIndex = 0; itemIndex < items.length; itemIndex++) {
    try {
      const results = await operationFor(this, itemIndex).execute.call(this, itemIndex);
      for (const result of results) returnData.push({ ...result, pairedItem: { item: itemIndex } });
    } catch (error) {
      const nodeError = toNodeError(this.getNode(), error, itemIndex);
      if (this.continueOnFail()) {
        returnData.push({ json: errorJson(nodeError), pairedItem: { item: itemIndex } });
        continue;
      }
      throw nodeError;
    }
  }
  return [returnData];
}
