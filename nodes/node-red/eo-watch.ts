/**
 * The "EO Watch" node: starts a flow when a new scene is published. It polls a Sentinel Hub /
 * CDSE Catalog or a Terrascope STAC search on its own interval and whenever a message arrives,
 * and sends one message per new or republished scene, oldest acquisition first. The watching
 * (look-back window, cursor, paging, claims) is the core's; this layer keeps the cursor in the
 * node's context, shows the last and next poll, and hands failures to Catch nodes.
 */
import { EoError, pollScenes, pollSummary, watchKey, type ScenePollResult, type WatchSettings } from '../core';
import { isEoAuthHandle } from './lib/auth-handle';
import { CursorStore, type NodeContextStore } from './lib/eo-watch/cursor-store';
import { readWatchConfig, type EoWatchProperties } from './lib/eo-watch/watch-config';
import { outcomeStatus, pollingStatus, problemStatus, type PollOutcome } from './lib/eo-watch/watch-status';
import { translator } from './lib/messages';
import { toNodeError } from './lib/node-error';
import type { NodeMessage, NodeRedApi, RedNode } from './lib/red';
import catalogue from './locales/en-US/eo-watch.json';

/** How long a close waits for a poll in flight to give up. */
const CLOSE_GRACE_MS = 5_000;

type EoWatchNode = RedNode & { context(): NodeContextStore; send(msg: NodeMessage): void };
type Send = (msg: NodeMessage) => void;

/** The message of one scene: the poll's counts in `msg.eo`, the scene in `msg.payload`. */
function sceneMessages(
  result: ScenePollResult,
  settings: WatchSettings,
  at: number,
  base: NodeMessage | undefined,
  clone: (m: NodeMessage) => NodeMessage,
): NodeMessage[] {
  const poll = { at: new Date(at).toISOString(), ...pollSummary(result) };
  return result.scenes.map((scene, index) => ({
    ...(base ? clone(base) : {}),
    topic: scene.id,
    payload: scene,
    // The watched area travels along, so the next node can ask for that area of the scene.
    eo: { reason: scene.reason, index, count: result.scenes.length, area: settings.area, collection: settings.collection, poll },
  }));
}

export = function eoWatch(RED: NodeRedApi): void {
  const t = translator(RED, catalogue);

  function EoWatchNode(this: EoWatchNode, props: EoWatchProperties & { id: string }): void {
    RED.nodes.createNode(this, props);
    const node = this;
    const contextStorage = (RED.settings as { contextStorage?: Record<string, unknown> }).contextStorage;
    const stores = contextStorage ? [...new Set(['default', ...Object.keys(contextStorage)])] : ['default', 'memory'];
    const config = readWatchConfig(props, stores);
    const found = props.auth ? RED.nodes.getNode(props.auth) : undefined;
    const auth = isEoAuthHandle(found) ? found : undefined;
    const problem =
      config.problem ?? (auth ? auth.problem : new EoError('EO_INVALID_CONFIG', t('eo-watch.errors.noAuth'), { field: 'auth' }));
    if (problem || !config.settings || !auth) {
      const err = toNodeError(problem);
      node.status(problemStatus(t, problem?.field));
      node.error(err);
      node.on('input', (_msg, _send, done) => done(err));
      return;
    }
    const settings = config.settings;
    const key = watchKey(settings, node.id);
    const cursors = new CursorStore(node.context(), key, config.store);
    void cursors.forgetOthers();
    const controller = new AbortController();
    let closed = false;
    let timer: NodeJS.Timeout | undefined;
    let nextAt: number | undefined;
    // Polls run one after another, so two never read the same cursor.
    let queue: Promise<void> = Promise.resolve();

    async function poll(send: Send, input?: NodeMessage): Promise<void> {
      node.status(pollingStatus(t));
      const at = Date.now();
      let outcome: PollOutcome;
      try {
        const cursor = await cursors.load();
        const result = await pollScenes({
          connection: auth!.connection(),
          tokens: auth!.tokens(),
          settings,
          key,
          cursor,
          signal: controller.signal,
        });
        // A redeploy while the poll ran: nothing is sent and the stored cursor stays, for the new node.
        // (Stopped while claiming, pollScenes gave its claims back and threw.) Otherwise the scenes
        // are claimed for this copy: they are sent now, in this same turn, before anything is awaited.
        if (closed) return;
        const messages = sceneMessages(result, settings, at, input, (m) => RED.util.cloneMessage(m));
        for (const message of messages) send(message);
        await cursors.save(result.cursor);
        outcome =
          result.first && settings.firstPoll === 'remember' ? { at, remembered: result.counts.found } : { at, emitted: messages.length };
      } catch (err) {
        if (closed) return;
        node.status(outcomeStatus(t, { at, error: err }, nextAt));
        throw toNodeError(err);
      }
      node.status(outcomeStatus(t, outcome, nextAt));
    }

    function enqueue(send: Send, input?: NodeMessage): Promise<void> {
      const run = queue.then(() => poll(send, input));
      queue = run.catch(() => undefined);
      return run;
    }

    function schedule(delayMs: number): void {
      if (closed || config.intervalMs === 0) return;
      nextAt = Date.now() + delayMs;
      timer = setTimeout(() => {
        timer = undefined;
        // The next poll is counted from the end of this one: a slow catalogue never piles polls up.
        nextAt = Date.now() + config.intervalMs;
        enqueue((msg) => node.send(msg)).then(
          () => schedule(config.intervalMs),
          (err: unknown) => {
            node.error(err, { payload: undefined, topic: 'eo-watch' });
            schedule(config.intervalMs);
          },
        );
      }, delayMs);
    }

    node.on('input', (msg, send, done) => {
      enqueue(send, msg).then(
        () => done(),
        (err: Error) => done(err),
      );
    });

    node.on('close', (_removed, done) => {
      closed = true;
      if (timer) clearTimeout(timer);
      controller.abort(new EoError('EO_NETWORK', 'The node was stopped (redeploy or shutdown).'));
      let grace: NodeJS.Timeout | undefined;
      void Promise.race([queue, new Promise<void>((resolve) => (grace = setTimeout(resolve, CLOSE_GRACE_MS)))]).then(() => {
        clearTimeout(grace);
        node.status({});
        done();
      });
    });

    // The first poll right away: a first poll remembers what exists (or emits since the chosen date).
    if (config.intervalMs > 0) schedule(0);
    else node.status({ fill: 'grey', shape: 'ring', text: t('eo-watch.status.onInput') });
  }

  RED.nodes.registerType('eo-watch', EoWatchNode);
};
