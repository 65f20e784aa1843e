/** What the fields of every resource's operations are built from: when a field shows, and where a file goes. */
import type { INodeProperties, INodePropertyOptions } from 'n8n-workflow';

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

/**
 * The "Output" choice of a download: `binary` (n8n's binary store, the default) or `folder`; `more`
 * adds an operation's own choices after them.
 */
export function outputProperty(displayOptions: INodeProperties['displayOptions'], more: INodePropertyOptions[] = []): INodeProperties {
  return {
    displayName: 'Output',
    name: 'output',
    type: 'options',
    default: 'binary',
    displayOptions,
    options: [
      { name: 'Binary Data', value: 'binary', description: 'Put the file in a binary field of the item' },
      {
        name: 'File in Folder',
        value: 'folder',
        description:
          'Write the file into a folder on the n8n machine (resumed after a cut, skipped when unchanged); the item gets its path',
      },
      ...more,
    ],
  };
}

/** The "Folder" parameter of downloads that write into a folder. */
export function folderProperty(displayOptions: INodeProperties['displayOptions']): INodeProperties {
  return {
    displayName: 'Folder',
    name: 'folder',
    type: 'string',
    default: '',
    required: true,
    placeholder: '/home/node/.n8n-files/eo',
    description:
      'Absolute path of the folder on the machine that runs the workflow (the worker in queue mode); created when missing. It must be inside N8N_RESTRICT_FILE_ACCESS_TO (default ~/.n8n-files).',
    displayOptions,
  };
}
