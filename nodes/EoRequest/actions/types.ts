import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import type { Connection } from '../../core';

/** One operation: its fields and what it does for one input item (pairedItem is added by the router). */
export interface Operation {
  description: INodeProperties[];
  /** `signal` ends when the item must stop early (another item failed, when items run at once). */
  execute(this: IExecuteFunctions, itemIndex: number, signal?: AbortSignal): Promise<INodeExecutionData[]>;
  /**
   * Set when items may run at once: each item is a download that holds one of its account's
   * connections, and this names the connection of an item, whose cap sizes the batch.
   */
  connectionOf?(this: IExecuteFunctions, itemIndex: number): Promise<Connection>;
}

/** Shows a field only for `resource` / `operation`. */
export function showFor(resource: string, operation: string | string[], extra: Record<string, unknown[]> = {}) {
  return { show: { resource: [resource], operation: Array.isArray(operation) ? operation : [operation], ...extra } };
}

/** The "Put Output File in Field" parameter every operation with binary output has; `what` ends its description. */
export function binaryFieldProperty(what: string, displayOptions: INodeProperties['displayOptions']): INodeProperties {
  return {
    displayName: 'Put Output File in Field',
    name: 'binaryPropertyName',
    type: 'string',
    default: 'data',
    required: true,
    description: `The name of the binary field ${what} is written to`,
    displayOptions,
  };
}
