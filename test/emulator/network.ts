/**
 * The network between a client and the real services, which loopback does not have: a round-trip
 * time added to every request (and once more for a new connection's handshake), a bandwidth limit
 * per connection, a link limit all connections share, and the providers' cap on concurrent
 * downloads per account (CDSE: 4), answered with 429 and Retry-After beyond it.
 *
 * Every knob is off by default (see `EmulatorConfig`); they are read on every write and request,
 * so `configure()` and `POST /__emulator/config` take effect at once.
 */
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { decodeJwt } from 'jose';
import type { Ctx } from './context';
import { basicOf, bearerOf } from './auth';
import { sendJson, sleep } from './http';
import type { EmulatorState } from './state';

/**
 * How far a pacer may lag behind the clock and catch up: a timer that fires late (a busy event
 * loop, a machine short of CPU) is made up by sending the next pieces sooner, so the average rate
 * holds. Only a stream that kept sending may catch up: idle time is no credit.
 */
const CATCH_UP_MS = 100;
/** A write that comes later than this after the previous one ended starts a new stretch (no catching up). */
const CONTINUOUS_MS = 5;

/** One rate limit as a pacing clock: the earliest time (ms, `performance.now()`) its next byte may go. */
interface Pacer {
  next: number;
}

/** What the shaping keeps per started emulator, beside its state. */
interface NetworkState {
  link: Pacer;
  /** Downloads running per account. */
  active: Map<string, number>;
  /** Sockets that already paid for their handshake. */
  connected: WeakSet<Socket>;
}

const networks = new WeakMap<EmulatorState, NetworkState>();

function networkOf(state: EmulatorState): NetworkState {
  let net = networks.get(state);
  if (!net) {
    net = { link: { next: 0 }, active: new Map(), connected: new WeakSet() };
    networks.set(state, net);
  }
  return net;
}

/**
 * Reserves `bytes` on `pacer` at `rate` (bytes/s) from `now`; returns when they may be sent. A
 * `continuous` stream may use time the pacer fell behind; a new one starts from now.
 */
function reserve(pacer: Pacer, bytes: number, rate: number, now: number, continuous: boolean): number {
  const start = Math.max(pacer.next, continuous ? now - CATCH_UP_MS : now);
  pacer.next = start + (bytes / rate) * 1000;
  return start;
}

function waitUntil(at: number): Promise<void> {
  return sleep(at - performance.now());
}

/**
 * Pieces a paced write is cut into: Node hands a socket up to its buffer (256 KiB here) at once,
 * and pacing that as one burst would make the rate lumpy at the scale of a test (64 KiB is about
 * 3 ms at 20 MB/s).
 */
const PIECE_BYTES = 64 * 1024;

type Done = (error?: Error | null) => void;
type WriteFn = (this: Socket, chunk: Buffer, encoding: string, done: Done) => void;

function toBuffer(chunk: unknown, encoding: unknown): Buffer {
  if (Buffer.isBuffer(chunk)) return chunk;
  if (chunk instanceof Uint8Array) return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  return Buffer.from(String(chunk), typeof encoding === 'string' && encoding !== 'buffer' ? (encoding as BufferEncoding) : 'utf8');
}

/**
 * Paces what `socket` sends: each piece first at the connection's own rate, then through the
 * shared link in the order connections ask for it (a connection waiting for its own limit holds
 * no link time). The writes stay Node's own, piece by piece; only when they happen changes, so
 * backpressure reaches the handler as it would on a slow network.
 */
export function shapeSocket(state: EmulatorState, socket: Socket): void {
  const internals = socket as unknown as {
    _write: WriteFn;
    _writev?: (chunks: { chunk: unknown; encoding: unknown }[], done: Done) => void;
  };
  const write = internals._write;
  const writev = internals._writev;
  const own: Pacer = { next: 0 };
  /** When the last piece was handed to the socket. */
  let lastSent = -Infinity;
  const shaped = (): boolean => state.config.connectionBytesPerSecond > 0 || state.config.linkBytesPerSecond > 0;
  const pace = async (bytes: number): Promise<void> => {
    const { connectionBytesPerSecond: perConnection, linkBytesPerSecond: link } = state.config;
    const continuous = performance.now() - lastSent < CONTINUOUS_MS;
    if (perConnection > 0) await waitUntil(reserve(own, bytes, perConnection, performance.now(), continuous));
    if (link > 0) await waitUntil(reserve(networkOf(state).link, bytes, link, performance.now(), continuous));
  };
  const writePiece = (piece: Buffer): Promise<void> =>
    new Promise((resolve, reject) => write.call(socket, piece, 'buffer', (err) => (err ? reject(err) : resolve())));
  const sendPaced = async (buffers: Buffer[]): Promise<void> => {
    for (const buffer of buffers) {
      for (let at = 0; at < buffer.length; at += PIECE_BYTES) {
        const piece = buffer.subarray(at, at + PIECE_BYTES);
        await pace(piece.length);
        // A client that went away mid-body: the rest is not sent, as on a real network.
        if (socket.destroyed) return;
        lastSent = performance.now();
        await writePiece(piece);
        lastSent = performance.now();
      }
    }
  };
  internals._write = function (this: Socket, chunk: Buffer, encoding: string, done: Done) {
    if (!shaped()) return write.call(this, chunk, encoding, done);
    sendPaced([toBuffer(chunk, encoding)]).then(() => done(), done);
  };
  if (writev) {
    // One write per piece instead of Node's batched writev: the batch is what pacing splits.
    internals._writev = function (this: Socket, chunks: { chunk: unknown; encoding: unknown }[], done: Done) {
      if (!shaped()) return writev.call(this, chunks, done);
      sendPaced(chunks.map((c) => toBuffer(c.chunk, c.encoding))).then(() => done(), done);
    };
  }
}

/**
 * The round trip before an answer can start: one per request, and one more on a connection's
 * first request (its TCP handshake).
 */
export async function networkDelay(state: EmulatorState, req: IncomingMessage): Promise<void> {
  const rtt = state.config.latencyMs;
  if (!(rtt > 0)) return;
  const net = networkOf(state);
  const fresh = !net.connected.has(req.socket);
  net.connected.add(req.socket);
  await sleep(fresh ? 2 * rtt : rtt);
}

/** Who a download counts against: the token's user (or client), or the Basic user. */
export function downloadAccount(ctx: Ctx): string {
  const basic = basicOf(ctx);
  if (basic) return basic.user;
  const token = bearerOf(ctx);
  if (token) {
    try {
      const claims = decodeJwt(token);
      const user = claims.preferred_username ?? claims.azp ?? claims.sub;
      if (typeof user === 'string') return user;
    } catch {
      // An opaque token names nobody: all of them share one account.
    }
  }
  return 'unknown';
}

/** The refusal providers send beyond the cap (the wording users of other tools quote). */
function concurrencyBody(cap: number): object {
  return {
    error: {
      status: 429,
      reason: 'Too Many Requests',
      message: `Maximum number of ${cap} concurrent flows achieved by the user`,
      code: 'TOO_MANY_CONCURRENT_DOWNLOADS',
    },
  };
}

/**
 * Admits a download for its account, or answers 429 with Retry-After when the account already
 * runs `downloadsPerAccount` of them. An admitted download counts until its response closes
 * (finished, or the client went away). Returns false when it answered.
 */
export function admitDownload(ctx: Ctx): boolean {
  const { state, res } = ctx;
  const account = downloadAccount(ctx);
  const net = networkOf(state);
  const counters = state.counters.downloads;
  const cap = state.config.downloadsPerAccount;
  const active = net.active.get(account) ?? 0;
  if (cap > 0 && active >= cap) {
    counters.refused[account] = (counters.refused[account] ?? 0) + 1;
    sendJson(res, 429, concurrencyBody(cap), { 'retry-after': String(state.config.downloadCapRetryAfterS) });
    return false;
  }
  net.active.set(account, active + 1);
  counters.admitted[account] = (counters.admitted[account] ?? 0) + 1;
  counters.peakConcurrent[account] = Math.max(counters.peakConcurrent[account] ?? 0, active + 1);
  res.once('close', () => {
    const left = (net.active.get(account) ?? 1) - 1;
    if (left > 0) net.active.set(account, left);
    else net.active.delete(account);
  });
  return true;
}
