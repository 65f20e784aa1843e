/**
 * Sentinel Hub Batch v2, kept modest: create, get, list, analyse/start/stop with the documented
 * state machine. A GET moves a running job one step on (ANALYSING → ANALYSIS_DONE,
 * PROCESSING → DONE), so polling clients see progress without timers.
 */
import { randomUUID } from 'node:crypto';
import type { Ctx } from '../context';
import { requireApiToken } from '../auth';
import { isObject, parseJson, sendBadPayload, sendEmpty, sendJson, sendNotFound, shError } from '../http';
import type { BatchJob } from '../state';

const PREFIX = '/api/v2/batch/process';

const NEXT_ON_POLL: Record<string, string> = { ANALYSING: 'ANALYSIS_DONE', PROCESSING: 'DONE' };

const ACTIONS: Record<string, { from: string[]; to: string }> = {
  analyse: { from: ['CREATED'], to: 'ANALYSING' },
  start: { from: ['CREATED', 'ANALYSIS_DONE'], to: 'PROCESSING' },
  stop: { from: ['CREATED', 'ANALYSING', 'ANALYSIS_DONE', 'PROCESSING'], to: 'STOPPED' },
};

function view(job: BatchJob): Record<string, unknown> {
  return { id: job.id, request: job.request, status: job.status, created: job.created, userAction: 'NONE' };
}

export async function handleBatch(ctx: Ctx): Promise<void> {
  const { res, state } = ctx;
  if (!(await requireApiToken(ctx))) return;
  const rest = ctx.url.pathname.slice(PREFIX.length).split('/').filter(Boolean);
  const method = ctx.req.method;
  if (rest.length === 0) {
    if (method === 'GET') return sendJson(res, 200, { data: [...state.batch.values()].map(view), links: {} });
    if (method !== 'POST') return sendJson(res, 405, shError(405, 'COMMON_METHOD_NOT_ALLOWED', 'Use GET or POST'));
    const body = parseJson(ctx.body);
    if (!isObject(body)) return sendBadPayload(res, 'Could not parse request body as JSON object');
    if (!isObject(body.processRequest)) return sendBadPayload(res, 'processRequest must be specified');
    if (!isObject(body.input) || !isObject(body.output)) return sendBadPayload(res, 'input and output must be specified');
    const job: BatchJob = { id: randomUUID(), status: 'CREATED', created: new Date().toISOString(), request: body };
    state.batch.set(job.id, job);
    return sendJson(res, 201, view(job));
  }
  const job = state.batch.get(rest[0]);
  if (!job) return sendNotFound(res, `Batch request ${rest[0]} not found`);
  if (rest.length === 1) {
    if (method !== 'GET') return sendJson(res, 405, shError(405, 'COMMON_METHOD_NOT_ALLOWED', 'Use GET'));
    const body = view(job);
    job.status = NEXT_ON_POLL[job.status] ?? job.status;
    return sendJson(res, 200, body);
  }
  const action = ACTIONS[rest[1]];
  if (rest.length !== 2 || !action) return sendNotFound(res, 'Unknown batch action');
  if (method !== 'POST') return sendJson(res, 405, shError(405, 'COMMON_METHOD_NOT_ALLOWED', 'Use POST'));
  if (!action.from.includes(job.status)) return sendBadPayload(res, `Cannot ${rest[1]} a batch request in status ${job.status}`);
  job.status = action.to;
  sendEmpty(res, 204);
}
