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
