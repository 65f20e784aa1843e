/**
 * The peer of the download benchmark: raw undici, `request()` piped to a file with `pipeline`,
 * in a process of its own so its memory is measured alone. It loads the very undici our package
 * got installed with (the path comes as its first argument), so both sides share one HTTP client.
 *
 * The file is flushed to disk (fdatasync) before it counts as complete, as ours is before its
 * rename, so both peers' wall times end at the same point. `highWaterMark`, when given, sizes both
 * the body's and the file's buffers (undici's and fs's defaults otherwise: 64 KiB and 16 KiB).
 *
 * Protocol: one JSON line per download on stdin, `{"url","token","file","highWaterMark"?}`; one
 * JSON line back on stdout, `{"ok":true}` or `{"ok":false,"error":"..."}`. `ready` is printed at start.
 */
import { createWriteStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { pipeline } from 'node:stream/promises';
import type * as Undici from 'undici';

interface Job {
  url: string;
  token: string;
  file: string;
  highWaterMark?: number;
}

async function download(undici: typeof Undici, job: Job): Promise<void> {
  const res = await undici.request(job.url, { headers: { authorization: `Bearer ${job.token}` }, highWaterMark: job.highWaterMark });
  if (res.statusCode !== 200) {
    await res.body.dump();
    throw new Error(`status ${res.statusCode}`);
  }
  await pipeline(
    res.body,
    createWriteStream(job.file, { flush: true, ...(job.highWaterMark ? { highWaterMark: job.highWaterMark } : {}) }),
  );
}

function main(): void {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const undici = require(process.argv[2] ?? 'undici') as typeof Undici;
  const reply = (value: object) => process.stdout.write(`${JSON.stringify(value)}\n`);
  const lines = createInterface({ input: process.stdin });
  lines.on('line', (line) => {
    download(undici, JSON.parse(line) as Job).then(
      () => reply({ ok: true }),
      (err: unknown) => reply({ ok: false, error: (err as Error).message }),
    );
  });
  lines.on('close', () => process.exit(0));
  reply({ ready: true });
}

main();
