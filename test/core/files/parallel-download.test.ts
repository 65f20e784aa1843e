/**
 * Downloads within an account's connection cap, against the emulator with a slowed network and
 * its own per-account cap: several downloads never open more connections than the cap between
 * them, a 429 from the server shrinks the cap instead of failing, and a large file is fetched
 * as parallel ranges that resume after a cut (also across a restart) and never join two versions.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { bodyBytes, startEmulator, syntheticSource, worldCoverSource } from '../../emulator/server';
import { defaultConfig } from '../../emulator/state';
import type { Emulator, RequestLogEntry } from '../../emulator/types';
import { downloadToFile, type DownloadOptions } from '../../../nodes/core/files/download';
import { readMeta } from '../../../nodes/core/files/download-state';
import type { Connection } from '../../../nodes/core/config/connection';
import { TokenCache } from '../../../nodes/core/auth/token-cache';
import { ConnectionCap } from '../../../nodes/core/http/connection-cap';
import { worldCoverTiles } from '../../../nodes/core/services/worldcover';
import { emulatorConnection, FAST_BACKOFF, sha256File } from '../../support/fixtures';

const MIB = 1024 * 1024;

let emu: Emulator;
let root: string;
let connection: Connection;
let tokens: ReturnType<TokenCache['provider']>;

beforeAll(async () => {
  emu = await startEmulator();
  root = mkdtempSync(path.join(tmpdir(), 'eo-parallel-'));
  connection = emulatorConnection(emu, 'terrascope');
  tokens = new TokenCache().provider(connection);
});
afterAll(async () => {
  await emu.close();
  rmSync(root, { recursive: true, force: true });
});
beforeEach(() => {
  emu.reset();
  emu.configure(defaultConfig());
});

let dirCount = 0;
function freshDir(): string {
  const dir = path.join(root, `case-${++dirCount}`);
  mkdirSync(dir);
  return dir;
}

function options(extra: Partial<DownloadOptions> & { directory: string; url: string }): DownloadOptions {
  return { connection, tokens, backoff: FAST_BACKOFF, ...extra };
}

const shaOf = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
const downloads = (): RequestLogEntry[] => emu.log().filter((e) => e.path.startsWith('/download/'));
const rangeStart = (e: RequestLogEntry) => Number(/^bytes=(\d+)-/.exec(String(e.headers.range))?.[1]);

/** A download over 4 connections stopped once `mib` MiB are on disk, as a process that ends would. */
async function stoppedAfter(directory: string, url: string, mib: number): Promise<void> {
  const controller = new AbortController();
  await expect(
    downloadToFile(
      options({
        directory,
        url,
        connectionCap: new ConnectionCap(4),
        minSegmentBytes: 4 * MIB,
        signal: controller.signal,
        onProgress: (p) => {
          if (p.bytes > mib * MIB) controller.abort(new Error('process stopped'));
        },
      }),
    ),
  ).rejects.toThrow('process stopped');
}

describe('the connection cap', () => {
  test('eight downloads sharing a cap of 3 never run more than 3 at once at the server', async () => {
    emu.configure({ connectionBytesPerSecond: 8_000_000, downloadsPerAccount: 3 });
    const cap = new ConnectionCap(3);
    const directory = freshDir();
    const sizes = [1, 2, 3, 4, 5, 6, 7, 8].map((i) => 2 * MIB + i);
    const results = await Promise.all(
      sizes.map((size) => downloadToFile(options({ directory, url: `/download/synthetic/${size}.bin`, connectionCap: cap }))),
    );
    expect(results.map((r) => r.bytes)).toEqual(sizes);
    const { downloads: counted } = emu.counters();
    expect(counted.peakConcurrent.demo).toBe(3);
    expect(counted.refused).toEqual({});
    expect(cap.state()).toMatchObject({ peakActive: 3, active: 0, refusals: 0 });
  });

  test('a 429 from the server shrinks the cap and is waited out: every download completes, and the cap grows back', async () => {
    // The server allows 2 while the setting says 4: the cap has to learn it.
    emu.configure({ connectionBytesPerSecond: 8_000_000, downloadsPerAccount: 2, downloadCapRetryAfterS: 0.2 });
    const cap = new ConnectionCap(4);
    const directory = freshDir();
    const sizes = [1, 2, 3, 4, 5, 6].map((i) => 2 * MIB + i);
    let lowest = cap.state().limit;
    const watch = setInterval(() => (lowest = Math.min(lowest, cap.state().limit)), 5);
    const results = await Promise.all(
      sizes.map((size) =>
        downloadToFile(options({ directory, url: `/download/synthetic/${size}.bin`, connectionCap: cap, segments: false })),
      ),
    ).finally(() => clearInterval(watch));
    for (const [i, r] of results.entries()) {
      expect(r.bytes).toBe(sizes[i]);
      expect(readFileSync(r.path).equals(bodyBytes(syntheticSource(sizes[i])))).toBe(true);
    }
    const { downloads: counted } = emu.counters();
    expect(counted.refused.demo).toBeGreaterThanOrEqual(1);
    expect(counted.peakConcurrent.demo).toBe(2);
    expect(results.reduce((sum, r) => sum + r.refusals, 0)).toBe(counted.refused.demo);
    expect(cap.state().refusals).toBe(counted.refused.demo);
    // The refusals of one overload halved the cap to the 2 the server allows (and a later probe at 3, again).
    expect(lowest).toBeLessThanOrEqual(2);

    // Successes grow the cap back to its setting.
    emu.configure({ connectionBytesPerSecond: 0, downloadsPerAccount: 0 });
    for (let i = 0; i < 8 && cap.state().limit < 4; i++) {
      await downloadToFile(options({ directory, url: '/download/synthetic/1000.bin', filename: `again-${i}.bin`, connectionCap: cap }));
    }
    expect(cap.state().limit).toBe(4);
  });

  test('a Retry-After longer than a minute fails the download with EO_RATE_LIMITED, naming the wait', async () => {
    emu.fault({ route: '^GET /download/', status: 429, headers: { 'retry-after': '120' }, times: 1 });
    const err = (await downloadToFile(
      options({ directory: freshDir(), url: '/download/synthetic/1000.bin', connectionCap: new ConnectionCap(2) }),
    ).catch((e: unknown) => e)) as { code: string; message: string; retryAfterMs: number };
    expect(err.code).toBe('EO_RATE_LIMITED');
    expect(err.message).toMatch(/asks to wait 120 s, longer than the 60 s allowed/);
    expect(err.retryAfterMs).toBe(120_000);
  });
});

describe('parallel ranges of one large file', () => {
  const size = 48 * MIB;
  const url = `/download/synthetic/${size}.bin`;
  const clean = shaOf(bodyBytes(syntheticSource(size)));

  test('spare connections of the cap join with If-Range ranges; the file is byte-identical; the server never sees more than the cap', async () => {
    emu.configure({ connectionBytesPerSecond: 24_000_000, downloadsPerAccount: 4 });
    const r = await downloadToFile(options({ directory: freshDir(), url, connectionCap: new ConnectionCap(4), minSegmentBytes: 4 * MIB }));
    expect(r.connections).toBeGreaterThan(1);
    expect(r.connections).toBeLessThanOrEqual(4);
    expect(await sha256File(r.path)).toBe(clean);
    const [first, ...ranges] = downloads();
    expect(first.headers.range).toBeUndefined();
    expect(ranges.length).toBeGreaterThanOrEqual(1);
    for (const e of ranges) {
      expect(e.headers.range).toMatch(/^bytes=\d+-\d+$/);
      expect(e.headers['if-range']).toBe(r.etag);
      expect(e.status).toBe(206);
    }
    expect(emu.counters().downloads.peakConcurrent.demo).toBeLessThanOrEqual(4);
    expect(existsSync(`${r.path}.part`)).toBe(false);
    expect((await readMeta(r.path))?.segments).toBeUndefined();
  });

  test('a range cut off mid-body continues from its last byte on disk, and the file is byte-identical', async () => {
    emu.configure({ connectionBytesPerSecond: 24_000_000 });
    // The first answer streams untouched; the first range a joining connection asks for is cut.
    emu.fault({ route: '^GET /download/synthetic/', after: 1, times: 1, resetAfterBytes: 3 * MIB });
    const r = await downloadToFile(options({ directory: freshDir(), url, connectionCap: new ConnectionCap(4), minSegmentBytes: 4 * MIB }));
    expect(await sha256File(r.path)).toBe(clean);
    expect(r.resumed).toBeGreaterThanOrEqual(1);
    const log = downloads();
    const cut = log.find((e) => e.fault)!;
    expect(cut.headers.range).toMatch(/^bytes=\d+-\d+$/);
    const cutStart = rangeStart(cut);
    const cutEnd = Number(/-(\d+)$/.exec(String(cut.headers.range))?.[1]);
    const rangeEnd = (e: RequestLogEntry) => Number(/-(\d+)$/.exec(String(e.headers.range))?.[1]);
    // The continuation asks for the rest of the same range (whose end another connection may have taken meanwhile).
    const rest = log.find((e) => !e.fault && rangeStart(e) > cutStart && rangeStart(e) <= cutStart + 3 * MIB && rangeEnd(e) <= cutEnd);
    expect(rest).toBeDefined();
    expect(rest!.headers['if-range']).toBe(r.etag);
  });

  test('ranges saved in the sidecar survive a stop: the next run continues each of them, byte-identical', async () => {
    emu.configure({ connectionBytesPerSecond: 16_000_000 });
    const directory = freshDir();
    await stoppedAfter(directory, url, 16);
    const target = path.join(directory, `${size}.bin`);
    const saved = await readMeta(target);
    expect(saved).toMatchObject({ complete: false, size });
    expect(saved!.segments!.length).toBeGreaterThan(1);
    const onDisk = saved!.segments!.reduce((sum, s) => sum + s.done, 0);
    expect(onDisk).toBeGreaterThan(8 * MIB);

    emu.reset();
    const r = await downloadToFile(options({ directory, url, connectionCap: new ConnectionCap(4), minSegmentBytes: 4 * MIB }));
    expect(await sha256File(r.path)).toBe(clean);
    const log = downloads();
    // Nothing starts over: every request is a range, with the version the .part holds.
    for (const e of log) {
      expect(e.headers.range).toMatch(/^bytes=\d+-\d+$/);
      expect(e.headers['if-range']).toBe(saved!.etag);
    }
    const transferred = log.reduce((sum, e) => sum + Number(/-(\d+)$/.exec(String(e.headers.range))?.[1]) + 1 - rangeStart(e), 0);
    expect(transferred).toBeLessThanOrEqual(size - onDisk + 4 * MIB);
    expect(r.resumed).toBeGreaterThanOrEqual(1);
  });

  test('the sidecar keeps up with the bytes on disk, not only with the clock: a process killed within its first second keeps what it fetched', async () => {
    // Full speed on loopback: a second is far more than the whole file, so only saving by bytes
    // records progress before the sidecar's timer would.
    const big = 128 * MIB;
    const directory = freshDir();
    const target = path.join(directory, `${big}.bin`);
    const recorded = (): number => {
      try {
        const meta = JSON.parse(readFileSync(`${target}.meta.json`, 'utf8')) as { segments?: { done: number }[] };
        return (meta.segments ?? []).reduce((sum, r) => sum + r.done, 0);
      } catch {
        return 0;
      }
    };
    let seen: { bytes: number; recorded: number } | undefined;
    const r = await downloadToFile(
      options({
        directory,
        url: `/download/synthetic/${big}.bin`,
        connectionCap: new ConnectionCap(4),
        minSegmentBytes: 4 * MIB,
        onProgress: (p) => {
          if (!seen && p.bytes >= 64 * MIB) seen = { bytes: p.bytes, recorded: recorded() };
        },
      }),
    );
    expect(r.bytes).toBe(big);
    expect(seen).toBeDefined();
    // At most the bytes of one save interval (8 MiB) and a save in flight behind what is on disk.
    expect(seen!.recorded).toBeGreaterThanOrEqual(seen!.bytes - 24 * MIB);
  });

  test('ranges whose .part is gone are not trusted: the next run starts over and the file is byte-identical', async () => {
    emu.configure({ connectionBytesPerSecond: 16_000_000 });
    const directory = freshDir();
    await stoppedAfter(directory, url, 12);
    const target = path.join(directory, `${size}.bin`);
    expect((await readMeta(target))?.segments?.length).toBeGreaterThan(1);
    rmSync(`${target}.part`);
    emu.reset();
    const r = await downloadToFile(options({ directory, url, connectionCap: new ConnectionCap(4), minSegmentBytes: 4 * MIB }));
    expect(await sha256File(r.path)).toBe(clean);
    expect(downloads()[0].headers.range).toBeUndefined();
  });

  test('a file that changed between two runs is downloaded again whole, never joined with the ranges of the old version', async () => {
    const tile = worldCoverTiles([6.2, 0.4, 6.9, 1.1], 2021)[0];
    const oldSize = 40 * MIB;
    const newSize = 40 * MIB + 4096;
    emu.configure({ connectionBytesPerSecond: 16_000_000, worldCoverTileBytes: oldSize });
    const directory = freshDir();
    await stoppedAfter(directory, tile.url, 12);
    expect((await readMeta(path.join(directory, tile.filename)))?.segments?.length).toBeGreaterThan(1);

    emu.reset();
    emu.configure({ worldCoverTileBytes: newSize });
    const r = await downloadToFile(options({ directory, url: tile.url, connectionCap: new ConnectionCap(4), minSegmentBytes: 4 * MIB }));
    expect(r.bytes).toBe(newSize);
    expect(await sha256File(r.path)).toBe(shaOf(bodyBytes(worldCoverSource(tile.url, { ...emu.config, worldCoverTileBytes: newSize }))));
    // The server answered the first If-Range with the whole new file (200).
    expect(downloads()[0].status).toBe(200);
  });
});
