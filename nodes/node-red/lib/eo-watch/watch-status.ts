/**
 * The eo-watch badge: "last poll 14:05 · 2 new · next 14:15" when idle, "polling…" while a poll
 * runs, and the error in short with the next poll when the last one failed.
 */
import type { Translate } from '../messages';
import type { NodeStatus } from '../red';
import { shortError } from '../short-error';

/** HH:MM in the runtime's local time, as a user reads the clock of the machine. */
export function clock(ms: number): string {
  return new Date(ms).toTimeString().slice(0, 5);
}

/** What the badge says after a poll. */
export interface PollOutcome {
  at: number;
  /** Scenes emitted; undefined for a first poll that only remembered what exists. */
  emitted?: number;
  /** Scenes remembered on a first poll. */
  remembered?: number;
  error?: unknown;
}

export function pollingStatus(t: Translate): NodeStatus {
  return { fill: 'blue', shape: 'dot', text: t('eo-watch.status.polling') };
}

export function outcomeStatus(t: Translate, outcome: PollOutcome, nextAt: number | undefined): NodeStatus {
  const next = nextAt === undefined ? t('eo-watch.status.onInput') : t('eo-watch.status.next', { time: clock(nextAt) });
  if (outcome.error !== undefined) {
    return { fill: 'red', shape: 'ring', text: `${shortError(outcome.error)} · ${clock(outcome.at)} · ${next}` };
  }
  const what =
    outcome.emitted === undefined
      ? t('eo-watch.status.remembered', { count: outcome.remembered ?? 0 })
      : t('eo-watch.status.new', { count: outcome.emitted });
  return {
    fill: outcome.emitted ? 'green' : 'grey',
    shape: 'dot',
    text: `${t('eo-watch.status.last', { time: clock(outcome.at) })} · ${what} · ${next}`,
  };
}

export function problemStatus(t: Translate, field: string | undefined): NodeStatus {
  return { fill: 'red', shape: 'ring', text: t('eo-watch.status.invalid', { field: field ?? 'settings' }) };
}
