/**
 * EO Request's errors: the package's n8n error mapping (n8n-shared/node-errors.ts) with this
 * node's field labels and the item each error belongs to, and what a failed item carries when the
 * node continues on fail.
 */
import { NodeApiError, type INode, type JsonObject, type NodeOperationError } from 'n8n-workflow';
import { CREDENTIAL_FIELD_LABELS, fieldError, nodeErrorOf, type FieldLabels } from '../../n8n-shared/node-errors';

/** Core fields shown under the names the user sees in this node. */
const FIELD_LABELS: FieldLabels = {
  bbox: 'Bounding Box',
  year: 'Year',
  limit: 'Limit',
  filename: 'File Name',
  headers: 'Headers (JSON)',
  ...CREDENTIAL_FIELD_LABELS,
  directory: 'Folder',
};

/** The n8n error for `err`, raised while working on item `itemIndex`. */
export function toNodeError(node: INode, err: unknown, itemIndex: number): NodeOperationError | NodeApiError {
  return nodeErrorOf(node, err, FIELD_LABELS, itemIndex);
}

/** A bad parameter value: the message names the field as the user sees it in the node. */
export function inputError(node: INode, itemIndex: number, field: string, message: string): NodeOperationError {
  return fieldError(node, field, message, { itemIndex });
}

/** What an item carries when the node continues on fail: the message, never the stack or a secret. */
export function errorJson(err: NodeOperationError | NodeApiError): JsonObject {
  const out: JsonObject = { error: err.message };
  if (err.description) out.description = err.description;
  if (err instanceof NodeApiError && err.httpCode) out.httpCode = err.httpCode;
  return out;
}
