/** "Return All" / "Limit", as every n8n search operation offers them, and the search run itself. */
import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { searchAll, type EoContext } from '../transport';
import { positiveInteger } from '../helpers/inputs';
import { showFor } from './commonFields';

/** Return All and Limit for `resource` / `operation`. */
export function pagingFields(resource: string, operation: string): INodeProperties[] {
  return [
    {
      displayName: 'Return All',
      name: 'returnAll',
      type: 'boolean',
      default: false,
      description: 'Whether to return all results or only up to a given limit',
      displayOptions: showFor(resource, operation),
    },
    {
      displayName: 'Limit',
      name: 'limit',
      type: 'number',
      default: 50,
      typeOptions: { minValue: 1 },
      description: 'Max number of results to return',
      displayOptions: showFor(resource, operation, { returnAll: [false] }),
    },
  ];
}

/** Runs the search (following `next` pages) and returns one item per feature. */
export async function searchItems(
  ctx: IExecuteFunctions,
  eo: EoContext,
  itemIndex: number,
  url: string,
  body: IDataObject,
): Promise<INodeExecutionData[]> {
  const returnAll = ctx.getNodeParameter('returnAll', itemIndex) as boolean;
  const limit = returnAll ? Number.MAX_SAFE_INTEGER : positiveInteger(ctx, 'limit', 'Limit', itemIndex);
  const { features } = await searchAll(eo, url, body, limit);
  return features.map((feature) => ({ json: feature as IDataObject }));
}
