/**
 * What the fault files share: the request they send, the words that would wrongly blame the
 * user's credentials, and the health checks every Node-RED scenario ends with.
 */
import type { FaultBed } from './fault-bed';
import type { Scenario } from './observe';

/** A small Process request (16 × 16 PNG). */
export const PROCESS_REQUEST = {
  input: { bounds: { bbox: [12.44, 41.87, 12.54, 41.93] }, data: [{ type: 'sentinel-2-l2a' }] },
  output: { width: 16, height: 16, responses: [{ identifier: 'default', format: { type: 'image/png' } }] },
  evalscript: '//VERSION=3\nfunction setup(){return{input:["B04"],output:{bands:1}}}\nfunction evaluatePixel(s){return[s.B04]}',
};

/**
 * Words that would blame the user's credentials. An error about a failing token endpoint must use
 * none of them, or users go and change credentials that were right.
 */
export const BLAMES_CREDENTIALS = /client id|client secret|secret|password|credential|rejected/i;

/**
 * Adds the checks every Node-RED scenario shares: the runtime is up, and printed no unhandled
 * rejection or uncaught exception since the scenario started (FaultBed.startScenario).
 */
export async function runtimeHealthy(bed: FaultBed, s: Scenario): Promise<void> {
  const alive = await bed.alive();
  const trouble = bed.runtimeTrouble();
  s.observe(
    `runtime ${alive ? 'up' : 'DOWN'}, ${trouble.length} unhandled${trouble.length ? ` (${trouble[0].trim().slice(0, 160)})` : ''}`,
  );
  s.check('runtime up (Admin API answers)', alive);
  s.check('no unhandled rejection / uncaught exception', trouble.length === 0);
}
