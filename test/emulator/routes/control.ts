/**
 * `/__emulator/...`: the same controls the in-process API offers, for other processes (a real
 * Node-RED or n8n, benchmarks). Not counted, not logged, never faulted.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isObject, parseJson, readBody, sendJson } from '../http';
import type { SceneSpec } from '../scenes';
import type { Emulator, FaultScript } from '../types';

export async function handleControl(emulator: Emulator, req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
  const action = path.slice('/__emulator/'.length).replace(/\/+$/, '');
  const key = `${req.method} ${action}`;
  const body = req.method === 'POST' ? parseJson(await readBody(req)) : undefined;
  try {
    switch (key) {
      case 'GET counters':
        return sendJson(res, 200, emulator.counters());
      case 'GET log':
        return sendJson(res, 200, emulator.log());
      case 'GET endpoints':
        return sendJson(res, 200, { url: emulator.url, secondUrl: emulator.secondUrl, ...emulator.endpoints });
      case 'GET issued-tokens':
        return sendJson(res, 200, emulator.issuedTokens());
      case 'GET config':
        return sendJson(res, 200, emulator.config);
      case 'POST faults': {
        const scripts = (Array.isArray(body) ? body : [body]) as FaultScript[];
        if (!scripts.every((s) => isObject(s) && typeof s.route === 'string')) {
          return sendJson(res, 400, { error: 'expected a fault script or an array of them, each with a "route"' });
        }
        scripts.forEach((s) => emulator.fault(s));
        return sendJson(res, 200, { added: scripts.length });
      }
      case 'DELETE faults':
        emulator.clearFaults();
        return sendJson(res, 200, { ok: true });
      case 'POST config':
        if (!isObject(body)) return sendJson(res, 400, { error: 'expected a JSON object' });
        emulator.configure(body);
        return sendJson(res, 200, emulator.config);
      case 'POST reset':
        emulator.reset();
        return sendJson(res, 200, { ok: true });
      case 'GET scenes':
        return sendJson(res, 200, emulator.scenes());
      case 'POST scenes': {
        const specs = (Array.isArray(body) ? body : [body]) as SceneSpec[];
        if (!specs.every(isObject)) return sendJson(res, 400, { error: 'expected a scene or an array of scenes' });
        return sendJson(
          res,
          200,
          specs.map((spec) => emulator.publishScene(spec)),
        );
      }
      case 'POST scenes/republish':
        if (!isObject(body) || typeof body.id !== 'string')
          return sendJson(res, 400, { error: 'expected {"id": "...", "cloudCover"?: n}' });
        return sendJson(
          res,
          200,
          emulator.republishScene(body.id, typeof body.cloudCover === 'number' ? { cloudCover: body.cloudCover } : {}),
        );
      case 'DELETE scenes':
        emulator.clearScenes();
        return sendJson(res, 200, { ok: true });
      case 'POST revoke-refresh-tokens':
        emulator.revokeRefreshTokens();
        return sendJson(res, 200, { ok: true });
      default:
        return sendJson(res, 404, { error: `unknown control ${key}` });
    }
  } catch (err) {
    return sendJson(res, 400, { error: (err as Error).message });
  }
}
