/**
 * Fault scripts: the first script (in the order added) whose route, origin, `after` and `times`
 * match a request decides what goes wrong with it.
 */
import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Ctx } from './context';
import { sleep } from './http';
import type { EmulatorState } from './state';
import type { FaultScript } from './types';

/** The script that applies to `METHOD /path` on this origin, counting it as used. */
export function takeFault(state: EmulatorState, origin: 'main' | 'second', key: string): FaultScript | undefined {
  for (const f of state.faults) {
    const { script } = f;
    if (script.origin && script.origin !== origin) continue;
    if (script.times !== undefined && f.applied >= script.times) continue;
    if (!f.regex.test(key)) continue;
    f.seen++;
    if (f.seen <= (script.after ?? 0)) continue;
    f.applied++;
    return script;
  }
  return undefined;
}

function resolveTarget(state: EmulatorState, target: string): string {
  if (target.startsWith('second:')) return state.secondUrl + target.slice('second:'.length);
  if (target.startsWith('main:')) return state.mainUrl + target.slice('main:'.length);
  return target;
}

/**
 * Carries out a script. Returns true when the fault answered (or will never answer), false when
 * the real handler should run (possibly with a wrapped response).
 */
export async function applyFault(ctx: Ctx, script: FaultScript): Promise<boolean> {
  const { res } = ctx;
  if (script.delayMs) await sleep(script.delayMs);
  if (res.destroyed) return true;
  if (script.hang) return true; // no answer; close() or the client ends the socket
  if (script.redirectTo !== undefined) {
    const status = script.status && script.status >= 300 && script.status < 400 ? script.status : 302;
    res.writeHead(status, { 'content-length': 0, ...script.headers, location: resolveTarget(ctx.state, script.redirectTo) });
    res.end();
    return true;
  }
  if (script.status !== undefined) {
    const isText = typeof script.body === 'string';
    const data = script.body === undefined ? Buffer.alloc(0) : Buffer.from(isText ? (script.body as string) : JSON.stringify(script.body));
    const type = script.body === undefined ? {} : { 'content-type': isText ? 'text/plain; charset=utf-8' : 'application/json' };
    res.writeHead(script.status, { ...type, 'content-length': data.length, ...script.headers });
    res.end(ctx.req.method === 'HEAD' ? undefined : data);
    return true;
  }
  for (const [k, v] of Object.entries(script.headers ?? {})) res.setHeader(k, v);
  if (script.resetAfterBytes !== undefined) limitBody(res, script.resetAfterBytes, 'reset');
  else if (script.shortBodyBytes !== undefined) limitBody(res, script.shortBodyBytes, 'short');
  return false;
}

type WriteCb = (err?: Error | null) => void;

/**
 * Lets the real handler write its headers (with the true Content-Length) and then cuts the body
 * after `limit` bytes: 'short' ends the response cleanly and closes the connection (FIN);
 * 'reset' aborts the connection (RST) once those bytes are flushed.
 */
function limitBody(res: ServerResponse, limit: number, mode: 'reset' | 'short'): void {
  let sent = 0;
  let cut = false;
  const write = res.write.bind(res) as (chunk: Buffer, cb?: WriteCb) => boolean;
  const end = res.end.bind(res) as (chunk?: Buffer, cb?: () => void) => ServerResponse;
  if (mode === 'short') res.shouldKeepAlive = false; // Node then closes the socket after the response

  const toBuffer = (chunk: unknown, encoding: unknown): Buffer =>
    Buffer.isBuffer(chunk)
      ? chunk
      : chunk instanceof Uint8Array
        ? Buffer.from(chunk)
        : Buffer.from(String(chunk ?? ''), (typeof encoding === 'string' ? encoding : 'utf8') as BufferEncoding);

  const cutNow = (last: Buffer) => {
    cut = true;
    if (mode === 'short') {
      end(last.length ? last : undefined);
      return;
    }
    res.flushHeaders();
    if (last.length) write(last);
    const socket = res.socket as (Socket & { resetAndDestroy?: () => void }) | null;
    if (!socket) return;
    // Once the bytes are in the kernel, give the peer a moment to read them, then reset.
    socket.write(Buffer.alloc(0), () => {
      setTimeout(() => (socket.resetAndDestroy ? socket.resetAndDestroy() : socket.destroy()), 15).unref();
    });
  };

  const patched = res as unknown as { write: (...a: unknown[]) => boolean; end: (...a: unknown[]) => ServerResponse };
  patched.write = (chunk: unknown, encoding?: unknown, cb?: unknown) => {
    const callback = (typeof encoding === 'function' ? encoding : cb) as WriteCb | undefined;
    if (cut) {
      callback?.();
      return true;
    }
    const buf = toBuffer(chunk, encoding);
    if (sent + buf.length >= limit && !(res.req.method === 'HEAD')) {
      const last = buf.subarray(0, limit - sent);
      sent = limit;
      cutNow(last);
      callback?.();
      return true;
    }
    sent += buf.length;
    return write(buf, callback);
  };
  patched.end = (chunk?: unknown, encoding?: unknown, cb?: unknown) => {
    if (cut) return res;
    const callback = [chunk, encoding, cb].find((a) => typeof a === 'function') as (() => void) | undefined;
    const buf = typeof chunk === 'function' || chunk === undefined || chunk === null ? Buffer.alloc(0) : toBuffer(chunk, encoding);
    if (res.req.method !== 'HEAD' && sent + buf.length >= limit && (buf.length > 0 || limit === sent)) {
      const expected = Number(res.getHeader('content-length') ?? NaN);
      // Cut only when the body is really longer than the limit (or its length is unknown).
      if (!(expected <= limit)) {
        const last = buf.subarray(0, Math.max(0, limit - sent));
        sent = limit;
        cutNow(last);
        return res;
      }
    }
    sent += buf.length;
    return end(buf.length ? buf : undefined, callback);
  };
}
