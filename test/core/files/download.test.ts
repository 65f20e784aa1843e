import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import v8 from 'node:v8';
import { promisify } from 'node:util';
import { runInNewContext } from 'node:vm';
import { bodyBytes, startEmulator, worldCoverSource } from '../../emulator/server';
import type { Emulator, RequestLogEntry } from '../../emulator/types';
import { downloadToFile, type DownloadOptions } from '../../../nodes/core/files/download';
import type { DownloadProgress } from '../../../nodes/core/files/progress';
import type { Connection } from '../../../nodes/core/config/connection';
import { TokenCache } from '../../../nodes/core/auth/token-cache';
import { emulatorConnection, expectEoError, FAST_BACKOFF, sha256File } from '../../support/fixtures';
import { repoRoot } from '../../support/paths';
import { worldCoverTiles } from '../../../nodes/core/services/worldcover';

const TILE = worldCoverTiles([6.2, 0.4, 6.9, 1.1], 2020)[0];

let emu: Emulator;
let root: string;
let connection: Connection;
let cleanSha: string;

beforeAll(async () => {
  // The download mechanics on a 1 MiB body of random bytes: the cuts at 300 kB below fall well inside it.
  emu = await startEmulator({ worldCoverTileBytes: 1024 * 1024 });
  root = mkdtempSync(path.join(tmpdir(), 'eo-download-'));
  // The emulator's tile content is a pure function of its path and configuration: the reference every download is compared with.
  cleanSha = createHash('sha256')
    .update(bodyBytes(worldCoverSource(TILE.url, emu.config)))
    .digest('hex');
  connection = emulatorConnection(emu, 'terrascope');
});
afterAll(async () => {
  await emu.close();
  rmSync(root, { recursive: true, force: true });
});
beforeEach(() => emu.reset());

let dirCount = 0;
function freshDir(): string {
  const dir = path.join(root, `case-${++dirCount}`);
  mkdirSync(dir);
  return dir;
}

function options(extra: Partial<DownloadOptions> & { directory: string }): DownloadOptions {
  return { connection, tokens: new TokenCache().provider(connection), url: TILE.url, backoff: FAST_BACKOFF, ...extra };
}

const downloads = (): RequestLogEntry[] => emu.log().filter((e) => e.path.startsWith('/download/') || e.path.startsWith('/mirror/'));

describe('downloadToFile', () => {
  it('downloads a WorldCover tile through a .part file and renames it when complete', async () => {
    const directory = freshDir();
    const r = await downloadToFile(options({ directory }));
    expect(r).toMatchObject({ skipped: false, resumed: 0, statusCode: 200, attempts: 1, bytes: emu.config.worldCoverTileBytes });
    expect(r.path).toBe(path.join(directory, TILE.filename));
    expect(r.etag).toMatch(/^".+"$/);
    expect(readFileSync(r.path).subarray(0, 4).toString('hex')).toBe('49492a00');
    expect(existsSync(`${r.path}.part`)).toBe(false);
    expect(downloads()[0].headers.authorization).toMatch(/^Bearer /);
    expect(await sha256File(r.path)).toBe(cleanSha);
  });

  it('resumes a download reset at half with Range and If-Range, byte-identical', async () => {
    const directory = freshDir();
    const half = emu.config.worldCoverTileBytes / 2;
    emu.fault({ route: '^GET /download/', resetAfterBytes: half, times: 1 });
    const r = await downloadToFile(options({ directory }));
    expect(r.resumed).toBe(1);
    expect(r.statusCode).toBe(206);
    expect(r.bytes).toBe(emu.config.worldCoverTileBytes);
    expect(await sha256File(r.path)).toBe(cleanSha);
    const [first, second] = downloads();
    expect(first.headers.range).toBeUndefined();
    expect(second.headers.range).toMatch(/^bytes=\d+-$/);
    const from = Number(/=(\d+)-/.exec(String(second.headers.range))?.[1]);
    expect(from).toBeGreaterThan(0);
    expect(from).toBeLessThanOrEqual(half);
    expect(second.headers['if-range']).toBe(r.etag);
    expect(second.status).toBe(206);
    // A token is asked for per chunk, and every chunk carries it.
    expect(second.headers.authorization).toMatch(/^Bearer /);
  });

  it('resumes a short body; fails EO_DOWNLOAD_INCOMPLETE without a final file when resumes run out; continues the .part later', async () => {
    const directory = freshDir();
    emu.fault({ route: '^GET /download/', shortBodyBytes: 200_000, times: 1 });
    const ok = await downloadToFile(options({ directory }));
    expect(await sha256File(ok.path)).toBe(cleanSha);
    // undici drops bytes it had buffered but not yet handed over when a connection ends early,
    // so the second request continues from what reached the disk (usually with Range).
    const [cut, rest] = downloads();
    expect(cut.fault).toBe(true);
    expect(ok.resumed).toBe(rest.headers.range === undefined ? 0 : 1);
    expect(downloads()).toHaveLength(2);

    const other = freshDir();
    emu.reset();
    emu.fault({ route: '^GET /download/', shortBodyBytes: 100_000 });
    const err = await expectEoError(downloadToFile(options({ directory: other, maxResumes: 2 })), 'EO_DOWNLOAD_INCOMPLETE');
    expect(err.message).toContain(`of ${emu.config.worldCoverTileBytes} bytes`);
    const final = path.join(other, TILE.filename);
    expect(existsSync(final)).toBe(false);
    const kept = statSync(`${final}.part`).size;
    expect(kept).toBeGreaterThan(0);
    expect(kept).toBeLessThanOrEqual(300_000);
    expect(downloads()).toHaveLength(3);

    emu.reset();
    const later = await downloadToFile(options({ directory: other }));
    expect(later.resumed).toBe(1);
    expect(downloads()[0].headers.range).toBe(`bytes=${kept}-`);
    expect(downloads()[0].status).toBe(206);
    expect(await sha256File(later.path)).toBe(cleanSha);
    expect(existsSync(`${final}.part`)).toBe(false);
  });

  it('with keepPartial: false, a failed download removes its .part and state, keeps every detail of the error and says the next run starts over', async () => {
    const directory = freshDir();
    emu.fault({ route: '^GET /download/', shortBodyBytes: 100_000 });
    const err = await expectEoError(downloadToFile(options({ directory, maxResumes: 1, keepPartial: false })), 'EO_DOWNLOAD_INCOMPLETE');
    expect(err.message).toMatch(
      new RegExp(`stopped at \\d+ of ${emu.config.worldCoverTileBytes} bytes after 1 resume; the file was not created`),
    );
    expect(err.hint).toBe('Nothing partial was kept: running again downloads the file from the start.');
    expect(err.message.endsWith(err.hint ?? '-')).toBe(true);
    expect(err.message).not.toMatch(/\.part|continues from it/);
    expect(err.url).toBe(new URL(TILE.url, emu.endpoints.terrascope.baseUrl).href.replace(/\?.*$/, ''));
    // The bytes did reach the disk (a resume was sent), and were removed once the download gave up.
    expect(downloads().filter((e) => e.headers.range !== undefined)).toHaveLength(1);
    expect(readdirSync(directory)).toEqual([]);

    emu.reset();
    const again = await downloadToFile(options({ directory, keepPartial: false }));
    expect(downloads()[0].headers.range).toBeUndefined();
    expect(again.resumed).toBe(0);
    expect(await sha256File(again.path)).toBe(cleanSha);
    expect(readdirSync(directory).sort()).toEqual([TILE.filename, `${TILE.filename}.meta.json`]);
  });

  it('never appends a different version: a 206 that ignored If-Range (other ETag) starts the file over', async () => {
    const directory = freshDir();
    const size = emu.config.worldCoverTileBytes;
    emu.fault({ route: '^GET /download/', shortBodyBytes: 300_000 });
    await expectEoError(downloadToFile(options({ directory, maxResumes: 0 })), 'EO_DOWNLOAD_INCOMPLETE');
    const final = path.join(directory, TILE.filename);
    const kept = statSync(`${final}.part`).size;
    expect(kept).toBeGreaterThan(0);

    emu.reset();
    // The file changed on the server, and something in between answers the Range anyway.
    emu.fault({
      route: '^GET /download/',
      status: 206,
      headers: { 'content-range': `bytes ${kept}-${size - 1}/${size}`, etag: '"another-version"' },
      body: 'z'.repeat(size - kept),
      times: 1,
    });
    const r = await downloadToFile(options({ directory }));
    expect(await sha256File(r.path)).toBe(cleanSha);
    const [ranged, full] = downloads();
    expect(ranged.headers.range).toBe(`bytes=${kept}-`);
    expect(full.headers.range).toBeUndefined();
    expect(full.status).toBe(200);
  });

  it('does not resume a cut body that carried no ETag or Last-Modified: nothing could tell two versions apart', async () => {
    const directory = freshDir();
    const size = emu.config.worldCoverTileBytes;
    // A 200 without validators that breaks off after 300 kB of a different content.
    emu.fault({
      route: '^GET /download/',
      status: 200,
      headers: { 'content-length': String(size), 'content-type': 'image/tiff', connection: 'close' },
      body: 'a'.repeat(300_000),
      times: 1,
    });
    const r = await downloadToFile(options({ directory }));
    expect(await sha256File(r.path)).toBe(cleanSha);
    const [cut, again] = downloads();
    expect(cut.fault).toBe(true);
    expect(again.headers.range).toBeUndefined();
  });

  it('skips an unchanged file without transferring its body, and downloads again when it changed', async () => {
    const directory = freshDir();
    const first = await downloadToFile(options({ directory }));
    emu.reset();
    const again = await downloadToFile(options({ directory }));
    expect(again).toMatchObject({ skipped: true, statusCode: 304, bytes: first.bytes, etag: first.etag, attempts: 1 });
    const [probe] = downloads();
    expect(probe.headers['if-none-match']).toBe(first.etag);
    expect(probe.status).toBe(304);

    emu.reset();
    const forced = await downloadToFile(options({ directory, overwrite: 'always' }));
    expect(forced.skipped).toBe(false);
    expect(downloads()[0].status).toBe(200);

    const original = emu.config.worldCoverTileBytes;
    try {
      emu.configure({ worldCoverTileBytes: original + 4096 });
      const changed = await downloadToFile(options({ directory }));
      expect(changed.skipped).toBe(false);
      expect(changed.bytes).toBe(original + 4096);
      expect(changed.etag).not.toBe(first.etag);
    } finally {
      emu.configure({ worldCoverTileBytes: original });
    }
  });

  it('refuses file names that leave the folder, before any request', async () => {
    const directory = freshDir();
    const outside = path.dirname(directory);
    const before = readdirSync(outside).sort();
    const bad = ['../evil.tif', '../evil-dir/x.tif', 'a/../../evil.tif', '/tmp/evil.tif', 'x\0y.tif', '..\\evil.tif', 'C:\\evil.tif', '..'];
    for (const filename of bad) {
      const err = await expectEoError(downloadToFile(options({ directory, filename })), 'EO_PATH_NOT_ALLOWED');
      expect(err.field).toBe('filename');
    }
    expect(readdirSync(outside).sort()).toEqual(before);
    expect(readdirSync(directory)).toEqual([]);
    expect(downloads()).toHaveLength(0);

    // A subfolder that is a link to somewhere else is refused as well.
    const elsewhere = freshDir();
    symlinkSync(elsewhere, path.join(directory, 'link'));
    await expectEoError(downloadToFile(options({ directory, filename: 'link/evil.tif' })), 'EO_PATH_NOT_ALLOWED');
    // ... and no folder is created through it before the refusal.
    await expectEoError(downloadToFile(options({ directory, filename: 'link/sub/deeper/evil.tif' })), 'EO_PATH_NOT_ALLOWED');
    expect(readdirSync(elsewhere)).toEqual([]);

    // A name that merely starts with two dots stays inside.
    const dotted = await downloadToFile(options({ directory, filename: '..cache/N00E006.tif' }));
    expect(dotted.path).toBe(path.join(directory, '..cache', 'N00E006.tif'));

    const nested = await downloadToFile(options({ directory, filename: 'tiles/2020/N00E006.tif' }));
    expect(nested.path).toBe(path.join(directory, 'tiles', '2020', 'N00E006.tif'));
    expect(await sha256File(nested.path)).toBe(cleanSha);
  });

  it("refuses a name that is another file's working file (.part, .meta.json and its .tmp), so two downloads cannot overwrite each other's", async () => {
    const directory = freshDir();
    // "x.tif.part" finished under that name would be the partial body of "x.tif", and the next
    // download of "x.tif" would resume from it or replace it: a file reported complete, then gone.
    for (const filename of ['N00E006.tif.part', 'tiles/N00E006.tif.PART', 'N00E006.tif.meta.json', 'N00E006.tif.meta.json.tmp']) {
      const err = await expectEoError(downloadToFile(options({ directory, filename })), 'EO_PATH_NOT_ALLOWED');
      expect(err.field).toBe('filename');
      expect(err.message).toContain('working file');
    }
    expect(readdirSync(directory)).toEqual([]);
    expect(downloads()).toHaveLength(0);
  });

  it('reports throttled progress up to 100 %', async () => {
    const directory = freshDir();
    const events: DownloadProgress[] = [];
    const r = await downloadToFile(options({ directory, url: '/download/synthetic/8388608.bin', onProgress: (p) => events.push(p) }));
    expect(r.bytes).toBe(8388608);
    expect(events.length).toBeGreaterThan(1);
    expect(events.length).toBeLessThanOrEqual(110);
    expect(events.at(-1)).toEqual({ bytes: 8388608, total: 8388608, percent: 100 });
    for (let i = 1; i < events.length; i++) expect(events[i].bytes).toBeGreaterThanOrEqual(events[i - 1].bytes);
  });

  it('drops the Authorization header when a download redirects to another origin', async () => {
    const directory = freshDir();
    emu.fault({ route: '^GET /download/synthetic/1000.bin$', origin: 'main', redirectTo: 'second:/mirror/1000.bin' });
    emu.fault({ route: '^GET /mirror/1000.bin$', origin: 'second', status: 200, body: 'm'.repeat(1000) });
    const r = await downloadToFile(options({ directory, url: '/download/synthetic/1000.bin' }));
    expect(r.bytes).toBe(1000);
    expect(r.attempts).toBe(2);
    expect(readFileSync(r.path, 'utf8')).toBe('m'.repeat(1000));
    const [hop, target] = downloads();
    expect(hop.headers.authorization).toMatch(/^Bearer /);
    expect(target.origin).toBe('second');
    expect(target.headers.authorization).toBeUndefined();
  });

  it('refuses an absolute URL on a foreign origin', async () => {
    const directory = freshDir();
    const err = await expectEoError(
      downloadToFile(options({ directory, url: `${emu.secondUrl}/download/synthetic/10.bin` })),
      'EO_ORIGIN_NOT_ALLOWED',
    );
    expect(err.field).toBe('url');
    expect(emu.log()).toHaveLength(0);
  });

  it('replays a chunk with a fresh token after a 401', async () => {
    const directory = freshDir();
    emu.fault({ route: '^GET /download/', status: 401, times: 1 });
    const r = await downloadToFile(options({ directory }));
    expect(await sha256File(r.path)).toBe(cleanSha);
    expect(r.attempts).toBe(2);
    expect(emu.counters().tokenRequests.total).toBeGreaterThanOrEqual(2);
  });

  it('stops when aborted and leaves no file under the final name', async () => {
    const directory = freshDir();
    const controller = new AbortController();
    const pending = downloadToFile(
      options({
        directory,
        url: '/download/synthetic/67108864.bin',
        signal: controller.signal,
        onProgress: (p) => {
          if (p.bytes > 1_000_000) controller.abort(new Error('stopped by the flow'));
        },
      }),
    );
    await expect(pending).rejects.toThrow('stopped by the flow');
    expect(existsSync(path.join(directory, '67108864.bin'))).toBe(false);
  });

  it('streams a 256 MiB file with bounded memory', async () => {
    const directory = freshDir();
    const size = 268435456;
    const url = `/download/synthetic/${size}.bin`;
    // The emulator shares this process: a first pass fills its per-file content cache (16 MiB),
    // so the measured pass shows the client's own footprint.
    await downloadToFile(options({ directory, url, filename: 'warm-up.bin' }));
    rmSync(path.join(directory, 'warm-up.bin'));
    v8.setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    gc();
    const baseline = process.memoryUsage().rss;
    let peak = baseline;
    const timer = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss);
    }, 50);
    try {
      const r = await downloadToFile(options({ directory, url }));
      expect(r.bytes).toBe(size);
      expect(statSync(r.path).size).toBe(size);
      rmSync(r.path);
    } finally {
      clearInterval(timer);
    }
    peak = Math.max(peak, process.memoryUsage().rss);
    // Buffering the body would add 256 MiB; what remains is read-ahead and not yet collected garbage.
    expect(peak - baseline).toBeLessThan(64 * 1024 * 1024);
  }, 60_000);

  it('holds a 512 MiB download to a few MiB above idle in a process of its own', async () => {
    // Node 24 runs the child in both test passes: freeing chunks early needs ArrayBuffer.prototype.transfer.
    const bundled = path.join(repoRoot, 'node_modules', 'node', 'bin', 'node');
    const nodeBin = Number(process.versions.node.split('.')[0]) >= 22 || !existsSync(bundled) ? process.execPath : bundled;
    const child = path.join(__dirname, 'download-memory-child.js');
    const size = 512 * 1024 * 1024;
    const { stdout } = await promisify(execFile)(
      nodeBin,
      [child, emu.endpoints.terrascope.baseUrl, emu.endpoints.terrascope.tokenUrl, String(size), freshDir()],
      {
        env: { ...process.env, NODE_OPTIONS: '' },
      },
    );
    const cost = JSON.parse(stdout) as { bytes: number; bytesOnDisk: number; rssAboveIdle: number; peakArrayBuffers: number };
    expect(cost.bytes).toBe(size);
    expect(cost.bytesOnDisk).toBe(size);
    // Left to the garbage collector, written chunks pile up to V8's 64 MiB external-memory limit;
    // freed as they reach the disk, only the read-ahead (two 1 MiB buffers) stays.
    expect(cost.peakArrayBuffers).toBeLessThan(16 * 1024 * 1024);
    expect(cost.rssAboveIdle).toBeLessThan(40 * 1024 * 1024);
  }, 120_000);
});
