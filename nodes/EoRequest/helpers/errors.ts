/**
 * Turns what went wrong into n8n's two error kinds: NodeOperationError for input or settings the
 * user must fix (naming the field), NodeApiError for what a provider answered (its own message,
 * the core's hint, the HTTP status). Core errors never carry secrets, so neither do these.
 */
import { NodeApiError, NodeOperationError, type INode, type JsonObject } from 'n8n-workflow';
import { isEoError, type EoError } from '../../core';

/** Core codes that mean "change your input or settings", not "the provider failed". */
const INPUT_CODES = new Set(['EO_INVALID_CONFIG', 'EO_PATH_NOT_ALLOWED', 'EO_ORIGIN_NOT_ALLOWED', 'EO_FILE_WRITE_FAILED']);

/** Core fields shown under the n8n names the user sees. */
const FIELD_LABELS: Record<string, string> = {
  bbox: 'Bounding Box',
  year: 'Year',
  limit: 'Limit',
  filename: 'File Name',
  directory: 'Folder',
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
};

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

/** The n8n error for `err`, raised while working on item `itemIndex`. */
export function toNodeError(node: INode, err: unknown, itemIndex: number): NodeOperationError | NodeApiError {
  if (isNodeError(err)) return err;
  if (isEoError(err)) {
    const field = err.field ? (FIELD_LABELS[err.field] ?? err.field) : undefined;
    if (INPUT_CODES.has(err.code)) {
      return new NodeOperationError(node, field ? `${field}: ${err.message}` : err.message, { itemIndex, description: err.hint });
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

/** A bad parameter value: the message names the field as the user sees it in the node. */
export function inputError(node: INode, itemIndex: number, field: string, message: string): NodeOperationError {
  return new NodeOperationError(node, `${field}: ${message}`, { itemIndex });
}

/** What an item carries when the node continues on fail: the message, never the stack or a secret. */
export function errorJson(err: NodeOperationError | NodeApiError): JsonObject {
  const out: JsonObject = { error: err.message };
  if (err.description) out.description = err.description;
  if (err instanceof NodeApiError && err.httpCode) out.httpCode = err.httpCode;
  return out;
}
