/**
 * The "EO Request" node: one of six operations (custom request, Process, Catalog, Statistics,
 * Terrascope download, WorldCover tiles) through the connection of an eo-auth config node. The
 * work is done by the core; this layer maps messages, status and errors onto Node-RED's model:
 * `done(err)` with the original message so Catch nodes see failures, and a close handler that
 * cancels whatever is still running so a redeploy leaves nothing behind.
 */
import path from 'node:path';
import { EoError, sharedConnectionCaps, type Connection, type TokenProvider } from '../core';
import { isEoAuthHandle, type EoAuthHandle } from './lib/auth-handle';
import { registerEditorEndpoints } from './lib/eo-request/editor-endpoints';
import { runWithNodeArea } from './lib/eo-request/node-area';
import { thumbnailSender } from './lib/eo-request/thumbnail';
import { translator } from './lib/messages';
import { toNodeError } from './lib/node-error';
import { OPERATION_RUNNERS, type OperationContext } from './lib/eo-request/operations';
import type { NodeRedApi, RedNode } from './lib/red';
import { readRequestConfig, type EoRequestProperties } from './lib/eo-request/request-config';
import { StatusBoard } from './lib/eo-request/status-board';
import catalogue from './locales/en-US/eo-request.json';

/** How long a close waits for cancelled work to unwind (files closed, .part kept for a resume). */
const CLOSE_GRACE_MS = 5_000;

export = function eoRequest(RED: NodeRedApi): void {
  const t = translator(RED, catalogue);

  function EoRequestNode(this: RedNode, props: EoRequestProperties & { id: string }): void {
    RED.nodes.createNode(this, props);
    const node = this;
    const config = readRequestConfig(props);
    // A relative folder means what it means for Node-RED's file nodes: below fileWorkingDirectory when set.
    if (config.directory && !path.isAbsolute(config.directory) && RED.settings.fileWorkingDirectory) {
      config.directory = path.resolve(RED.settings.fileWorkingDirectory, config.directory);
    }
    const found = props.auth ? RED.nodes.getNode(props.auth) : undefined;
    const auth: EoAuthHandle | undefined = isEoAuthHandle(found) ? found : undefined;
    const problem: EoError | undefined = auth
      ? auth.problem
      : new EoError('EO_INVALID_CONFIG', t('eo-request.errors.noAuth'), { field: 'auth' });

    const board = new StatusBoard({
      show: (status) => node.status(status),
      t,
      tokenState: () => (auth && !auth.problem ? auth.tokens().state() : undefined),
      connectionState: () => (auth && !auth.problem ? sharedConnectionCaps().state(auth.connection()) : undefined),
      problem,
    });
    const thumbnail = thumbnailSender(RED, node, props);
    const running = new Map<AbortController, Promise<void>>();
    let closing = false;
    // The connection never changes for this node's life (a changed eo-auth restarts its users), and
    // the token provider looks its tokens up on every call: both are taken once, not per message.
    let connection: Connection | undefined;
    let tokens: TokenProvider | undefined;

    node.on('input', (msg, send, done) => {
      if (problem) {
        done(toNodeError(problem));
        return;
      }
      const controller = new AbortController();
      const id = board.begin();
      connection ??= auth!.connection();
      tokens ??= auth!.tokens();
      const ctx: OperationContext = {
        config,
        connection,
        tokens,
        msg,
        signal: controller.signal,
        t,
        send: (out) => {
          thumbnail?.(out);
          send(out);
        },
        clone: (m) => RED.util.cloneMessage(m),
        progress: (p, label) => board.report(id, p, label),
        warn: (text) => node.warn(text),
      };
      const work = runWithNodeArea(OPERATION_RUNNERS[config.operation], ctx).then(
        () => {
          board.end(id);
          done();
        },
        (err: unknown) => {
          if (controller.signal.aborted && closing) {
            // Cancelled by a redeploy or shutdown: nothing to report, the flow is going away.
            board.end(id);
            done();
            return;
          }
          board.end(id, err);
          done(toNodeError(err));
        },
      );
      running.set(controller, work);
      void work.finally(() => running.delete(controller));
    });

    node.on('close', (_removed, done) => {
      closing = true;
      board.close();
      const pending = [...running.values()];
      for (const controller of running.keys()) controller.abort(new EoError('EO_NETWORK', 'The node was stopped (redeploy or shutdown).'));
      let graceTimer: NodeJS.Timeout | undefined;
      const grace = new Promise<void>((resolve) => {
        graceTimer = setTimeout(resolve, CLOSE_GRACE_MS);
        graceTimer.unref();
      });
      void Promise.race([Promise.allSettled(pending), grace]).then(() => {
        // Nothing of this node may outlive the close, not even the timer of the grace period.
        clearTimeout(graceTimer);
        node.status({});
        done();
      });
    });
  }

  RED.nodes.registerType('eo-request', EoRequestNode);
  registerEditorEndpoints(RED);
};
