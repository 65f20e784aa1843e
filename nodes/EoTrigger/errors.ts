/**
 * The trigger's errors: a setting the user must fix names the parameter as the node shows it;
 * everything else is mapped like EO Request's (NodeApiError with the provider's message).
 */
import { NodeOperationError, type INode, type NodeApiError } from 'n8n-workflow';
import { isEoError } from '../core';
import { toNodeError } from '../EoRequest/helpers/errors';

/** Core field names → the trigger's parameter names. */
const LABELS: Record<string, string> = {
  source: 'Source',
  collection: 'Collection',
  bbox: 'Bounding Box',
  geometry: 'Geometry',
  maxCloudCover: 'Max Cloud Cover (%)',
  filter: 'CQL2 Filter',
  searchUrl: 'Search URL',
  lookbackHours: 'Look-Back Window (Hours)',
  firstPoll: 'On First Activation',
  since: 'Emit Since',
};

export function triggerError(node: INode, err: unknown): NodeOperationError | NodeApiError {
  if (isEoError(err, 'EO_INVALID_CONFIG') && err.field && LABELS[err.field]) {
    return new NodeOperationError(node, `${LABELS[err.field]}: ${err.message}`, { description: err.hint });
  }
  return toNodeError(node, err, 0);
}
