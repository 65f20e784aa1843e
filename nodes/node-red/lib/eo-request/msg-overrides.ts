/**
 * Where a request's URL, method, headers, file name and body come from, following Node-RED's
 * core http request node: what the node configures wins, and `msg` fills in what it leaves empty.
 */
import { EoError, isRequestMethod, methodSendsBody, readJsonObject, type RequestBody } from '../../../core';
import type { NodeMessage } from '../red';
import type { Translate } from '../messages';
import { isUnchangedResponse, RESPONSE_MARK } from './response-headers';

function msgString(msg: NodeMessage, key: string): string | undefined {
  const value = msg[key];
  return typeof value === 'string' && value.trim() ? value.trim() : undefined;
}

/** The configured URL, else msg.url, else `fallback`; an EoError naming `url` when there is none. */
export function chooseUrl(configured: string, msg: NodeMessage, t: Translate, fallback?: string): string {
  const url = configured || msgString(msg, 'url') || fallback;
  if (!url) throw new EoError('EO_INVALID_CONFIG', t('eo-request.errors.noUrl'), { field: 'url' });
  return url;
}

/** The configured method, or msg.method when the node says "set by msg.method". */
export function chooseMethod(configured: string, msg: NodeMessage, t: Translate): string {
  if (configured !== 'use') return configured;
  const method = msgString(msg, 'method')?.toUpperCase();
  if (!method || !isRequestMethod(method)) throw new EoError('EO_INVALID_CONFIG', t('eo-request.errors.noMethod'), { field: 'method' });
  return method;
}

/**
 * Headers that describe one HTTP connection or one body, never the next request: an upstream
 * http-in request's or an earlier answer's values would make the request invalid (a wrong length,
 * a refused `connection` header). Authorization is always the connection's own.
 */
const NOT_FORWARDED = new Set([
  'connection',
  'keep-alive',
  'transfer-encoding',
  'content-length',
  'host',
  'upgrade',
  'te',
  'trailer',
  'expect',
  'proxy-connection',
  'http2-settings',
  'authorization',
  'cookie',
  RESPONSE_MARK,
  // The mark of Node-RED's own http request node.
  'x-node-red-request-node',
]);

/**
 * msg.headers, overwritten by the node's own headers of the same name. The headers of an earlier
 * response, passed on unchanged, are not sent, as Node-RED's http request node does.
 */
export function mergeHeaders(msg: NodeMessage, configured: Record<string, string>): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  const fromMsg = msg.headers;
  if (
    typeof fromMsg === 'object' &&
    fromMsg !== null &&
    !Array.isArray(fromMsg) &&
    !isUnchangedResponse(fromMsg as Record<string, unknown>)
  ) {
    for (const [name, value] of Object.entries(fromMsg as Record<string, unknown>)) {
      if (NOT_FORWARDED.has(name.toLowerCase())) continue;
      if (typeof value === 'string' || typeof value === 'number') out[name.toLowerCase()] = String(value);
      else if (Array.isArray(value)) out[name.toLowerCase()] = value.map(String);
    }
  }
  return { ...out, ...configured };
}

/** The configured file name, else msg.filename (checked by the core so it stays inside the folder). */
export function chooseFilename(configured: string, msg: NodeMessage): string | undefined {
  if (configured) return configured;
  const value = msg.filename;
  // Anything but a string is passed on as it is: the core refuses it, naming the field.
  if (value === undefined || value === null || value === '') return undefined;
  return typeof value === 'string' ? value : String(value);
}

/** msg.payload as a request body: nothing for GET and HEAD, numbers and booleans as text. */
export function requestBody(method: string, payload: unknown): RequestBody | undefined {
  if (!methodSendsBody(method) || payload === undefined || payload === null) return undefined;
  if (typeof payload === 'number' || typeof payload === 'boolean') return String(payload);
  return payload as RequestBody;
}

/**
 * msg.payload as the JSON object an API expects, or an EoError naming `payload`. `whatKey` is the
 * catalogue key of what the payload should be: translated only when it is wrong, since this runs
 * for every message and a translation is a lookup through the runtime's i18n.
 */
export function jsonPayload(payload: unknown, whatKey: string, t: Translate): Record<string, unknown> {
  const read = readJsonObject(payload);
  if (read.ok) return read.value;
  throw new EoError('EO_INVALID_CONFIG', t('eo-request.errors.badPayload', { what: t(whatKey), type: read.got }), { field: 'payload' });
}

/** msg.requestTimeout in milliseconds, like the http request node; undefined for the core default. */
export function requestTimeout(msg: NodeMessage): number | undefined {
  const value = Number(msg.requestTimeout);
  return Number.isFinite(value) && value > 0 ? value : undefined;
}
