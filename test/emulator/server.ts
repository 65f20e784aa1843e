/**
 * The provider emulator: two loopback listeners (the main origin and a second origin that plays
 * "another host" for redirects) sharing one handler and one state. See types.ts for the contract
 * and for what the real services do.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Ctx } from './context';
import { applyFault, takeFault } from './faults';
import { readBody, sendJson, sendNotFound, SH_RATE_LIMIT_BODY } from './http';
import { createKeys } from './jwt';
import { handleBatch } from './routes/batch';
import { handleCatalog, handleThumbnail } from './routes/catalog';
import { handleControl } from './routes/control';
import { handleDownload } from './routes/download';
import { handleProcess } from './routes/process';
import { handleStatistics } from './routes/statistics';
import { handleOpenSearch, handleStac } from './routes/terracatalogue';
import { handleRealm, isRealmPath, parseForm, redactForm, tokenPathRealm } from './routes/token';
import { handleTokenInfo } from './routes/tokeninfo';
import { networkDelay, shapeSocket } from './network';
import { applyConfig, EmulatorState, type FullConfig } from './state';
import type { Emulator, EmulatorEndpoints, FaultScript, RequestLogEntry, StartOptions } from './types';

export { DEMO_CLIENT, DEMO_USER, PUBLIC_CLIENTS, type ExtraConfig, type FullConfig } from './state';
export { COMMON_UNAUTHORIZED_BODY, SH_RATE_LIMIT_BODY } from './http';
export { bodyBytes, type BodySource } from './bodies';
export { tar, untar } from './tar';
export { tileForPoint, tilesForBbox, worldCoverPath, WORLDCOVER_EDITIONS } from './worldcover';
export { TERRASCOPE_S2_TOC, type SceneSpec, type TimelineScene } from './scenes';
export { syntheticSource, worldCoverGeoTiff, worldCoverSource, worldCoverTileSize } from './sources';
export { WORLDCOVER_CLASSES } from './landcover';

/**
 * A fault script answering 429 with the Sentinel Hub body and `Retry-After` in milliseconds,
 * e.g. `emulator.fault(rateLimitFault('^POST /api/v1/process$', 3398, { times: 2 }))`.
 */
export function rateLimitFault(route: string, retryAfterMs = 3398, extra: Partial<FaultScript> = {}): FaultScript {
  return { route, status: 429, body: SH_RATE_LIMIT_BODY, headers: { 'retry-after': String(retryAfterMs) }, ...extra };
}

function route(ctx: Ctx): void | Promise<void> {
  const p = ctx.url.pathname;
  if (p === '/oauth/token' || isRealmPath(p)) return handleRealm(ctx);
  if (p === '/oauth/tokeninfo') return handleTokenInfo(ctx);
  if (p === '/api/v1/process') return handleProcess(ctx);
  if (p === '/api/v1/catalog/1.0.0/search') return handleCatalog(ctx);
  if (p.startsWith('/api/v1/catalog/1.0.0/collections/')) return handleThumbnail(ctx);
  if (p === '/api/v1/statistics') return handleStatistics(ctx);
  if (p === '/api/v2/batch/process' || p.startsWith('/api/v2/batch/process/')) return handleBatch(ctx);
  if (p.startsWith('/download/')) return handleDownload(ctx);
  if (p === '/catalogue/products') return handleOpenSearch(ctx);
  if (p === '/stac' || p.startsWith('/stac/')) return handleStac(ctx);
  return sendNotFound(ctx.res, `No such endpoint: ${ctx.req.method} ${p}`);
}

/** Counts the response status the moment headers are written, before the client can see them. */
function recordStatus(state: EmulatorState, res: ServerResponse, entry: RequestLogEntry, isToken: boolean): void {
  const writeHead = res.writeHead;
  res.writeHead = function (this: ServerResponse, ...args: unknown[]) {
    const status = Number(args[0]);
    entry.status = status;
    const bucket = isToken ? state.counters.tokenStatus : state.counters.apiStatus;
    bucket[status] = (bucket[status] ?? 0) + 1;
    return (writeHead as (...a: unknown[]) => ServerResponse).apply(this, args);
  } as typeof res.writeHead;
}

async function dispatch(
  state: EmulatorState,
  emulator: Emulator,
  origin: 'main' | 'second',
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const originUrl = state.originUrl(origin);
  const url = new URL(req.url ?? '/', originUrl);
  const path = url.pathname;
  if (path.startsWith('/__emulator/')) return handleControl(emulator, req, res, path);

  const method = req.method ?? 'GET';
  const body = await readBody(req);
  const ctx: Ctx = { req, res, origin, originUrl, url, body, state };
  const entry: RequestLogEntry = { time: Date.now(), origin, method, path, headers: req.headers, status: 0 };
  ctx.entry = entry;
  const isToken = tokenPathRealm(path) !== undefined;
  if (isToken) {
    const form = parseForm(ctx);
    entry.form = redactForm(form);
    const grant = form.get('grant_type');
    const counts = state.counters.tokenRequests;
    counts.total++;
    if (grant === 'client_credentials' || grant === 'password' || grant === 'refresh_token') counts[grant]++;
  } else {
    state.counters.apiRequests++;
  }
  state.pushLog(entry);
  recordStatus(state, res, entry, isToken);

  await networkDelay(state, req);
  const script = takeFault(state, origin, `${method} ${path}`);
  if (script) {
    entry.fault = true;
    if (await applyFault(ctx, script)) return;
  }
  await route(ctx);
}

function listen(server: Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    // A deep backlog so a thousand simultaneous connections are not dropped into SYN retries.
    server.listen({ port, host: '127.0.0.1', backlog: 4096 }, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

function closeServer(server: Server): Promise<void> {
  if (!server.listening) return Promise.resolve();
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

export async function startEmulator(options: StartOptions = {}): Promise<Emulator> {
  const { port = 0, secondPort = 0, ...config } = options;
  const state = new EmulatorState(await createKeys());
  applyConfig(state.config, config as Partial<FullConfig>);

  const servers: Server[] = [];
  const make = (origin: 'main' | 'second'): Server => {
    const server = createServer({ highWaterMark: 256 * 1024, keepAliveTimeout: 5000 }, (req, res) => {
      dispatch(state, emulator, origin, req, res).catch((err: unknown) => {
        if (!res.headersSent)
          sendJson(res, 500, { error: { status: 500, reason: 'Internal Server Error', message: String(err), code: 'EMULATOR_ERROR' } });
        else res.destroy();
      });
    });
    server.on('connection', (socket) => shapeSocket(state, socket));
    servers.push(server);
    return server;
  };
  const mainServer = make('main');
  const secondServer = make('second');
  try {
    state.mainUrl = `http://127.0.0.1:${await listen(mainServer, port)}`;
    state.secondUrl = `http://127.0.0.1:${await listen(secondServer, secondPort)}`;
  } catch (err) {
    await Promise.all(servers.map(closeServer));
    throw err;
  }

  const url = state.mainUrl;
  const realmToken = (realm: string) => `${url}/auth/realms/${realm}/protocol/openid-connect/token`;
  const endpoints: EmulatorEndpoints = {
    sentinelHub: { tokenUrl: `${url}/oauth/token`, realmTokenUrl: realmToken('main'), baseUrl: url },
    cdse: { tokenUrl: realmToken('CDSE'), baseUrl: url },
    terrascope: { tokenUrl: realmToken('terrascope'), baseUrl: url, stacUrl: `${url}/stac` },
  };

  const emulator: Emulator = {
    url,
    secondUrl: state.secondUrl,
    endpoints,
    get config() {
      return state.config;
    },
    configure: (patch) => applyConfig(state.config, patch),
    fault: (script) => state.addFault(script),
    clearFaults: () => {
      state.faults = [];
    },
    counters: () => structuredClone(state.counters),
    log: () => state.log.slice(),
    reset: () => state.reset(),
    revokeRefreshTokens: () => state.revokeRefreshTokens(),
    issuedTokens: () => ({ access: [...state.issued.access], refresh: [...state.issued.refresh] }),
    publishScene: (spec) => state.scenes.publish(spec),
    republishScene: (id, patch) => state.scenes.republish(id, patch),
    scenes: () => state.scenes.list(),
    clearScenes: () => state.scenes.clear(),
    close: async () => {
      await Promise.all(servers.map(closeServer));
    },
  };
  return emulator;
}
