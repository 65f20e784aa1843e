/** What the fields of every resource's operations are built from: when a field shows, and the binary output field. */
import type { INodeProperties } from 'n8n-workflow';

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
