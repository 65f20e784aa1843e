/**
 * Reading node parameters the way users fill them in: a bounding box typed as "w,s,e,n" or mapped
 * from an item as an array, JSON typed as text or mapped as an object. Problems name the field.
 */
import type { IDataObject, IExecuteFunctions } from 'n8n-workflow';
import { isEoError, parseBBox, parseGeometry, readJsonObject, type BBox, type GeoJsonGeometry } from '../../core';
import { inputError, toNodeError } from './errors';

/**
 * A parameter read by a core parser: its EoError (naming the problem and the fix) becomes an input
 * error under the parameter's label.
 */
function parsedParameter<T>(ctx: IExecuteFunctions, name: string, label: string, itemIndex: number, parse: (raw: unknown) => T): T {
  try {
    return parse(ctx.getNodeParameter(name, itemIndex) as unknown);
  } catch (err) {
    if (isEoError(err)) throw inputError(ctx.getNode(), itemIndex, label, err.message);
    throw toNodeError(ctx.getNode(), err, itemIndex);
  }
}

/**
 * Reads a bounding box [west, south, east, north] from parameter `name`, in `crs` (default CRS84):
 * the core parses and checks it (degrees against the globe, projected coordinates for order).
 */
export function bboxParameter(ctx: IExecuteFunctions, name: string, label: string, itemIndex: number, crs?: string): BBox {
  return parsedParameter(ctx, name, label, itemIndex, (raw) => parseBBox(raw, { crs }));
}

/** Reads a GeoJSON geometry (JSON text or an object) from parameter `name`, checked by the core. */
export function geometryParameter(ctx: IExecuteFunctions, name: string, label: string, itemIndex: number, crs?: string): GeoJsonGeometry {
  return parsedParameter(ctx, name, label, itemIndex, (raw) => parseGeometry(raw, { crs }));
}

/** Reads a JSON object from parameter `name` (text or an object from an expression); empty gives `undefined`. */
export function jsonParameter(ctx: IExecuteFunctions, name: string, label: string, itemIndex: number): IDataObject | undefined {
  const raw = ctx.getNodeParameter(name, itemIndex, '') as unknown;
  // An empty field is one the user left out (extra search fields, a body, headers).
  if (raw === undefined || raw === null || (typeof raw === 'string' && raw.trim() === '')) return undefined;
  const read = readJsonObject(raw);
  if (read.ok) return read.value as IDataObject;
  const problem = read.problem === 'not-json' ? 'is not valid JSON.' : `must be a JSON object ({ ... }) (got ${read.got}).`;
  throw inputError(ctx.getNode(), itemIndex, label, problem);
}

/** Reads a date-time parameter as ISO 8601 UTC. */
export function dateParameter(ctx: IExecuteFunctions, name: string, label: string, itemIndex: number): string {
  const raw = ctx.getNodeParameter(name, itemIndex) as unknown;
  const text = typeof raw === 'string' ? raw.trim() : raw instanceof Date ? raw.toISOString() : String(raw ?? '');
  const time = Date.parse(text);
  if (text === '' || Number.isNaN(time)) {
    throw inputError(ctx.getNode(), itemIndex, label, `"${text}" is not a date: use ISO 8601, e.g. 2024-06-01T00:00:00Z.`);
  }
  return new Date(time).toISOString();
}

/** A positive whole number from parameter `name`. */
export function positiveInteger(ctx: IExecuteFunctions, name: string, label: string, itemIndex: number): number {
  const value = Number(ctx.getNodeParameter(name, itemIndex));
  if (!Number.isInteger(value) || value < 1)
    throw inputError(ctx.getNode(), itemIndex, label, `must be a whole number of at least 1 (got ${String(value)}).`);
  return value;
}
