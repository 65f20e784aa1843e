/**
 * The node's Bounding box for Process, Statistics and Catalog search. These operations take their
 * request from msg.payload; when the node names an area (typed, or drawn on the edit dialog's
 * map) it replaces the area of that request, as every other setting of the node wins over msg:
 * Process and Statistics get `input.bounds` (the box in longitude/latitude), Catalog search gets
 * `bbox` and loses `intersects`, which a STAC search does not accept beside it.
 */
import { CRS84, parseBBox, type BBox } from '../../../core';
import { jsonPayload } from './msg-overrides';
import type { OperationContext, OperationRunner } from './operations/context';

/** The operations whose request carries an area, with the catalogue key naming that request. */
const REQUEST_WHAT: Partial<Record<OperationContext['config']['operation'], string>> = {
  process: 'eo-request.what.process',
  statistics: 'eo-request.what.statistics',
  catalog: 'eo-request.what.catalog',
};

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `body` with its area replaced by `bbox`. */
export function withArea(operation: string, body: Record<string, unknown>, bbox: BBox): Record<string, unknown> {
  if (operation === 'catalog') {
    const { intersects: _replaced, ...rest } = body;
    return { ...rest, bbox };
  }
  const input = isObject(body.input) ? body.input : {};
  return { ...body, input: { ...input, bounds: { bbox, properties: { crs: CRS84 } } } };
}

/**
 * Runs `runner` on a message whose request has the node's area. A bounding box that cannot be
 * read rejects with an EoError naming `bbox`, like any other setting of the node; an operation
 * without an area, or an empty Bounding box, runs as it is.
 */
export async function runWithNodeArea(runner: OperationRunner, ctx: OperationContext): Promise<void> {
  const what = REQUEST_WHAT[ctx.config.operation];
  if (!what || !ctx.config.bbox) return runner(ctx);
  const bbox = parseBBox(ctx.config.bbox);
  const body = jsonPayload(ctx.msg.payload, what, ctx.t);
  return runner({ ...ctx, msg: { ...ctx.msg, payload: withArea(ctx.config.operation, body, bbox) } });
}
