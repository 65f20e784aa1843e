/**
 * The n8n peer of the token section as the section sees it: the real n8n (n8n-peer.ts) when it
 * can be prepared and a run succeeds, otherwise "not measured" with the reason, recorded per run.
 * There is no stand-in: a figure in the table is either n8n's own or absent.
 */
import { N8N_VERSION } from '../../test/support/n8n-process';
import { createN8nPeer, type N8nPeer, type N8nPeerPlan, type N8nPeerRun } from './n8n-peer';

/** What one planned n8n run came to. */
export type N8nOutcome = { measured: true; run: N8nPeerRun } | { measured: false; reason: string };

export const N8N_PEER_NOTE = `n8n ${N8N_VERSION} (real): its HTTP Request node with a predefined credential type that has preAuthentication and a hidden expirable token field.`;

export interface N8nSide {
  /** Runs the planned workflow `name`; a failure is an outcome ("not measured"), not an exception. */
  run(name: string, timeoutMs: number): Promise<N8nOutcome>;
  remove(): Promise<void>;
}

function reasonOf(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0].slice(0, 300);
}

/** Prepares the real n8n with `plans`; when that fails, every run reports why. */
export async function prepareN8nSide(plans: N8nPeerPlan[], log: (line: string) => void): Promise<N8nSide> {
  let peer: N8nPeer | undefined;
  let unprepared: string | undefined;
  try {
    peer = await createN8nPeer(plans);
  } catch (err) {
    unprepared = `n8n could not be prepared: ${reasonOf(err)}`;
    log(`${unprepared} (full: ${(err as Error).message?.slice(0, 1500)})`);
  }
  return {
    async run(name, timeoutMs) {
      if (!peer) return { measured: false, reason: unprepared! };
      try {
        return { measured: true, run: await peer.run(name, timeoutMs) };
      } catch (err) {
        log(`n8n run ${name} failed: ${(err as Error).message?.slice(0, 1500)}`);
        return { measured: false, reason: `the n8n run failed: ${reasonOf(err)}` };
      }
    },
    remove: async () => {
      await peer?.remove();
    },
  };
}
