import fs, { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { once } from 'node:events';
import { createFileSink, releaseChunk } from '../../../nodes/core/files/file-sink';

let root: string;
beforeAll(() => {
  root = mkdtempSync(path.join(tmpdir(), 'eo-file-sink-'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));
afterEach(() => jest.restoreAllMocks());

const canRelease = typeof (ArrayBuffer.prototype as { transfer?: unknown }).transfer === 'function';

describe('releaseChunk', () => {
  it('frees a chunk that owns its whole buffer, and never one that shares it', () => {
    const owned = Buffer.from(new ArrayBuffer(65536));
    const shared = new ArrayBuffer(65536);
    const head = Buffer.from(shared, 0, 1000);
    const rest = Buffer.from(shared, 1000);
    releaseChunk(owned);
    releaseChunk(rest);
    releaseChunk(head);
    // Node 20 has no ArrayBuffer.prototype.transfer: there the collector frees it later.
    expect(owned.buffer.byteLength).toBe(canRelease ? 0 : 65536);
    expect(shared.byteLength).toBe(65536);
    expect(rest.length + head.length).toBe(65536);
  });
});

describe('createFileSink', () => {
  it('writes every byte, frees written chunks, and flushes to disk while the file grows', async () => {
    const syncs = jest.spyOn(fs, 'fdatasync');
    const file = path.join(root, 'grow.bin');
    const sink = createFileSink(file, { flags: 'w', highWaterMark: 1024 * 1024 });
    const chunks: Buffer[] = [];
    const expected: Buffer[] = [];
    for (let i = 0; i < 80; i++) {
      const chunk = Buffer.alloc(1024 * 1024, i);
      chunks.push(chunk);
      expected.push(Buffer.from(chunk));
      if (!sink.write(chunk)) await once(sink, 'drain');
    }
    sink.end();
    await once(sink, 'close');
    expect(readFileSync(file).equals(Buffer.concat(expected))).toBe(true);
    // 80 MiB with a flush every 32 MiB: two background syncs, each on the file's own descriptor.
    expect(syncs.mock.calls.length).toBe(2);
    expect(chunks.every((c) => c.length === (canRelease ? 0 : 1024 * 1024))).toBe(true);
  });

  it('appends with flag a', async () => {
    const file = path.join(root, 'append.bin');
    fs.writeFileSync(file, 'head-');
    const sink = createFileSink(file, { flags: 'a', highWaterMark: 1024 });
    sink.end(Buffer.from('tail'));
    await once(sink, 'close');
    expect(readFileSync(file, 'utf8')).toBe('head-tail');
  });
});
