/**
 * The eo-request status badge: requests in flight, download progress, and the token state when
 * idle. Updates are coalesced (at most one every 250 ms) so a burst of messages or a fast download
 * does not flood the editor, and every timer is dropped on close.
 */
import { formatTokenState, steadyNow, type ConnectionCapState, type DownloadProgress, type TokenState } from '../../../core';
import type { Translate } from '../messages';
import type { NodeStatus } from '../red';
import { shortError } from '../short-error';

const MIN_INTERVAL_MS = 250;
/** Token lifetimes count down: refresh the idle badge now and then. */
const IDLE_REFRESH_MS = 30_000;

function megabytes(bytes: number): string {
  return (bytes / 1_000_000).toFixed(1);
}

export interface StatusBoardOptions {
  show(status: NodeStatus): void;
  t: Translate;
  /** The token state of the node's identity; undefined when the connection is unusable. */
  tokenState(): TokenState | undefined;
  /** The account's download connections, shown while the server has made them fewer than the setting. */
  connectionState?(): ConnectionCapState | undefined;
  /** A configuration problem that makes every message fail, shown instead of anything else. */
  problem?: { field?: string };
}

export class StatusBoard {
  private inFlight = 0;
  private readonly progress = new Map<number, string>();
  private lastError?: string;
  private lastShown = 0;
  private timer?: NodeJS.Timeout;
  private readonly idleTimer: NodeJS.Timeout;
  private closed = false;
  private nextId = 1;

  constructor(private readonly options: StatusBoardOptions) {
    this.idleTimer = setInterval(() => {
      if (this.inFlight === 0) this.render();
    }, IDLE_REFRESH_MS);
    this.idleTimer.unref();
    this.render();
  }

  /** A message started; returns its handle for progress and `end`. */
  begin(): number {
    this.inFlight += 1;
    this.lastError = undefined;
    // Going from idle to busy is shown at once, like the way back; counting up is throttled.
    if (this.inFlight === 1) this.render();
    else this.schedule();
    return this.nextId++;
  }

  /** Download progress of the message `id`. */
  report(id: number, p: DownloadProgress, label?: string): void {
    const amount =
      p.percent !== undefined
        ? this.options.t('eo-request.status.progress', { percent: Math.floor(p.percent), mb: megabytes(p.bytes) })
        : this.options.t('eo-request.status.bytes', { mb: megabytes(p.bytes) });
    const first = !this.progress.has(id);
    this.progress.set(id, label ? `${label} · ${amount}` : amount);
    // The switch from "1 request" to a percentage is shown at once; the counting after it is throttled.
    if (first && !this.closed) this.render();
    else this.schedule();
  }

  /** The message `id` finished; `err` when it failed. */
  end(id: number, err?: unknown): void {
    this.inFlight = Math.max(0, this.inFlight - 1);
    this.progress.delete(id);
    if (err !== undefined) this.lastError = shortError(err);
    // The end of the last message is shown at once: it is what a user looks for.
    if (this.inFlight === 0) this.render();
    else this.schedule();
  }

  close(): void {
    this.closed = true;
    clearInterval(this.idleTimer);
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private schedule(): void {
    if (this.closed || this.timer) return;
    const wait = this.lastShown + MIN_INTERVAL_MS - Date.now();
    if (wait <= 0) {
      this.render();
      return;
    }
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.render();
    }, wait);
    this.timer.unref();
  }

  private render(): void {
    if (this.closed) return;
    this.lastShown = Date.now();
    this.options.show(this.current());
  }

  private current(): NodeStatus {
    const { t, problem } = this.options;
    if (problem)
      return { fill: 'red', shape: 'ring', text: t('eo-request.status.invalidConnection', { field: problem.field ?? 'provider' }) };
    if (this.inFlight > 0) {
      const count = this.inFlight === 1 ? t('eo-request.status.request') : t('eo-request.status.requests', { count: this.inFlight });
      const latest = [...this.progress.values()].pop();
      const cap = this.options.connectionState?.();
      // The provider refused connections: say that downloads run on fewer than the setting for now.
      const fewer = cap && cap.limit < cap.max ? ` · ${t('eo-request.status.connections', { limit: cap.limit, max: cap.max })}` : '';
      // Bytes arriving are good news (green, as for a finished download); a request still waiting is blue, as in Node-RED's http request node.
      if (latest) return { fill: 'green', shape: 'dot', text: `${this.inFlight > 1 ? `${latest} · ${count}` : latest}${fewer}` };
      return { fill: 'blue', shape: 'dot', text: `${count}${fewer}` };
    }
    if (this.lastError) return { fill: 'red', shape: 'ring', text: this.lastError };
    const state = this.options.tokenState();
    if (!state) return { fill: 'grey', shape: 'ring', text: t('eo-request.status.noConnection') };
    // Expiry times are on the token cache's clock, which does not follow wall-clock steps.
    const valid = state.expiresAt !== undefined && state.expiresAt > steadyNow();
    return { fill: valid ? 'green' : 'grey', shape: valid ? 'dot' : 'ring', text: formatTokenState(state) };
  }
}
