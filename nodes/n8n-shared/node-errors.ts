/**
 * Turns what went wrong into n8n's two error kinds, for every node of the package:
 * NodeOperationError for input or settings the user must fix (naming the field as the node shows
 * it), NodeApiError for what a provider answered (its own message, the core's hint, the HTTP
 * status). Core errors never carry secrets, so neither do these.
 */
import { NodeApiError, NodeOperationError, type INode, type JsonObject } from 'n8n-workflow';
import { isEoError, type EoError } from '../core';

/** Core field names → the labels a node shows them under. */
export type FieldLabels = Readonly<Record<string, string>>;

/** The credentials' fields, which every node names the same way. */
export const CREDENTIAL_FIELD_LABELS: FieldLabels = {
  tokenUrl: 'Token URL (credentials)',
  baseUrl: 'API base URL (credentials)',
  clientId: 'Client ID (credentials)',
  clientSecret: 'Client secret (credentials)',
  username: 'Username (credentials)',
  password: 'Password (credentials)',
  extraOrigins: 'Extra allowed origins (credentials)',
  provider: 'Environment (credentials)',
  grant: 'Grant (credentials)',
  clientAuth: 'Send client credentials (credentials)',
  maxConnections: 'Download connections (credentials)',
};

/** Core codes that mean "change your input or settings", not "the provider failed". */
const INPUT_CODES = new Set(['EO_INVALID_CONFIG', 'EO_PATH_NOT_ALLOWED', 'EO_ORIGIN_NOT_ALLOWED', 'EO_FILE_WRITE_FAILED']);

function isNodeError(err: unknown): err is NodeOperationError | NodeApiError {
  return err instanceof NodeOperationError || err instanceof NodeApiError;
}

function details(err: EoError): JsonObject {
  const out: JsonObject = { code: err.code, message: err.message };
  if (err.status !== undefined) out.status = err.status;
  if (err.providerCode !== undefined) out.providerCode = err.providerCode;
  if (err.providerMessage !== undefined) out.providerMessage = err.providerMessage;
  if (err.field !== undefined) out.field = err.field;
  if (err.url !== undefined) out.url = err.url;
  return out;
}

/** A value the user must change: the message starts with the field's label, as the node shows it. */
export function fieldError(
  node: INode,
  label: string,
  message: string,
  options: { itemIndex?: number; description?: string } = {},
): NodeOperationError {
  return new NodeOperationError(node, `${label}: ${message}`, options);
}

/**
 * The n8n error for `err`: a core error's field is named by `labels` (else by its core name);
 * `itemIndex` is the item it was raised for, none for a trigger's poll.
 */
export function nodeErrorOf(node: INode, err: unknown, labels: FieldLabels, itemIndex?: number): NodeOperationError | NodeApiError {
  if (isNodeError(err)) return err;
  if (isEoError(err)) {
    const field = err.field ? (labels[err.field] ?? err.field) : undefined;
    if (INPUT_CODES.has(err.code)) {
      const options = { itemIndex, description: err.hint };
      return field ? fieldError(node, field, err.message, options) : new NodeOperationError(node, err.message, options);
    }
    const description = [err.providerMessage ? `The provider said: ${err.providerMessage}` : undefined, err.hint]
      .filter(Boolean)
      .join(' — ');
    return new NodeApiError(node, details(err), {
      message: err.message,
      description: description || undefined,
      httpCode: err.status === undefined ? undefined : String(err.status),
      itemIndex,
    });
  }
  const message = err instanceof Error ? err.message : String(err);
  return new NodeOperationError(node, message, { itemIndex });
}
