/**
 * What the Node-RED eo-watch tests share: a tab with an EO Watch node (→ debug), an inject into it
 * and a Catch node (→ debug), the emitted scenes read back from the collector, the catalogue
 * searches the emulator answered, and a bounded wait.
 */
import type { Emulator } from '../emulator/types';
import type { Collected, FlowNode } from './flows';
import type { EmittedScene } from './scene-tally';

/** The catalogue area the watch tests use (a field near Gembloux, inside the emulator's default footprint). */
export const WATCHED_FIELD = '4.67,50.55,4.70,50.57';

/** The EO Auth node of the watch tabs (point it at the emulator with pointAtEmulator). */
export const WATCH_AUTH: FlowNode = {
  id: 'watch-auth',
  type: 'eo-auth',
  name: 'Sentinel Hub',
  provider: 'sentinel-hub',
  grant: 'client_credentials',
  clientAuth: 'body',
};

/**
 * A tab `tab` with an EO Watch (`<tab>-watch` → debug), an inject into it (`<tab>-inject`) and a
 * Catch (`<tab>-catch` → debug). The watch polls every second for Sentinel-2 L2A under 20 % cloud
 * over {@link WATCHED_FIELD}; `watch` changes any of its properties.
 */
export function watchTab(tab: string, watch: Record<string, unknown>): FlowNode[] {
  return [
    { id: tab, type: 'tab', label: tab, disabled: false, info: '' },
    {
      id: `${tab}-watch`,
      type: 'eo-watch',
      z: tab,
      auth: WATCH_AUTH.id,
      source: 'catalog',
      collection: 'sentinel-2-l2a',
      bbox: WATCHED_FIELD,
      maxCloudCover: '20',
      lookbackHours: 72,
      firstPoll: 'remember',
      interval: 1,
      ...watch,
      x: 300,
      y: 100,
      wires: [[`${tab}-debug`]],
    },
    {
      id: `${tab}-inject`,
      type: 'inject',
      z: tab,
      props: [{ p: 'payload' }],
      payload: '',
      payloadType: 'date',
      x: 100,
      y: 100,
      wires: [[`${tab}-watch`]],
    },
    { id: `${tab}-debug`, type: 'debug', z: tab, active: false, complete: 'payload', x: 500, y: 100, wires: [] },
    { id: `${tab}-catch`, type: 'catch', z: tab, scope: null, uncaught: false, x: 100, y: 200, wires: [[`${tab}-errors`]] },
    { id: `${tab}-errors`, type: 'debug', z: tab, active: false, complete: 'error', targetType: 'msg', x: 500, y: 200, wires: [] },
  ];
}

/** The scenes of collected eo-watch messages, as the tally reads them; `copy` tells the polls of several processes apart. */
export function watchedScenes(list: Collected[], copy = ''): EmittedScene[] {
  return list.map((c) => {
    const scene = c.payload as { id: string; reason: string; updated?: string; acquired: string };
    return {
      id: scene.id,
      reason: scene.reason,
      updated: scene.updated,
      acquired: scene.acquired,
      poll: `${copy}${String((c.eo?.poll as { at: string }).at)}`,
    };
  });
}

/** Catalog searches the emulator has answered since `since` (epoch ms), as their times. */
export function catalogSearches(emulator: Emulator, since = 0): number[] {
  return emulator
    .log()
    .filter((e) => e.path === '/api/v1/catalog/1.0.0/search' && e.time >= since)
    .map((e) => e.time);
}

/** Probes every 100 ms until `probe` gives a value (not undefined, not false); fails after `timeoutMs` naming `what`. */
export async function until<T>(
  what: string,
  probe: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 30_000,
): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
