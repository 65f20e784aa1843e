/**
 * The trigger's errors: the package's n8n error mapping (n8n-shared/node-errors.ts) with the
 * trigger's parameter names. A poll works on no input item, so its errors name none.
 */
import type { INode, NodeApiError, NodeOperationError } from 'n8n-workflow';
import { CREDENTIAL_FIELD_LABELS, nodeErrorOf, type FieldLabels } from '../n8n-shared/node-errors';

/** Core field names → the trigger's parameter names. */
const LABELS: FieldLabels = {
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
  ...CREDENTIAL_FIELD_LABELS,
};

export function triggerError(node: INode, err: unknown): NodeOperationError | NodeApiError {
  return nodeErrorOf(node, err, LABELS);
}
