/**
 * Thumbnails for the editor's canvas: what eo-request publishes on RED.comms in a real Node-RED
 * runtime (only with the option on; files only when asked; never a secret, URL or path), and the
 * limits of what reaches the editor (bytes, pixels, one image a second), checked on the sender itself.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import {
  describeImage,
  THUMBNAIL_LIMITS,
  THUMBNAIL_TOPIC,
  thumbnailSender,
  type ThumbnailMessage,
} from '../../nodes/node-red/lib/eo-request/thumbnail';
import type { NodeRedApi, RedNode } from '../../nodes/node-red/lib/red';
import { encodeJpeg, encodePng, rgbPixels } from '../emulator/images';
import { nodeRedRuntime } from '../support/node-red-runtime';
import { tempDir } from '../support/paths';
import { authNode, demoCredentials, GOLDEN_PROCESS, nextMessages, NODES, requestFlow, useTestBed, type Msg } from './eo-flow';
import { DEMO_CLIENT } from '../emulator/state';

const bed = useTestBed();

/** The event bus of the runtime under test: RED.comms.publish emits "comms" on it. */
function runtimeEvents(): NodeJS.EventEmitter {
  const runtimeDir = path.dirname(require.resolve(`${nodeRedRuntime.module}/package.json`));
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(require.resolve('@node-red/util', { paths: [runtimeDir] })).events;
}

interface Published {
  topic: string;
  data: ThumbnailMessage;
}

/** Runs one message through an eo-request with `props`; returns its output and what was published meanwhile. */
async function run(props: Record<string, unknown>, msg: Msg): Promise<{ out: Msg; published: Published[] }> {
  const published: Published[] = [];
  const listener = (event: Published) => {
    if (event.topic === THUMBNAIL_TOPIC) published.push(event);
  };
  const events = runtimeEvents();
  events.on('comms', listener);
  try {
    await bed.helper.unload(); // a test may run several flows
    await bed.helper.load(NODES, requestFlow(authNode(bed.emu), props), demoCredentials());
    const out = nextMessages(bed.helper, 'out');
    bed.helper.getNode('req')?.receive(msg);
    const [first] = await out;
    // A file is read back asynchronously: give it the time a disk read takes.
    await new Promise((r) => setTimeout(r, 200));
    return { out: first, published };
  } finally {
    events.off('comms', listener);
  }
}

const png = (width: number, height: number) => ({ ...GOLDEN_PROCESS, output: { width, height } });
const PROCESS_PNG = { operation: 'process', accept: 'image/png', output: 'buffer' };

describe('in the runtime', () => {
  test('a Process PNG with the option on: the node id, type, size and the very bytes, nothing else', async () => {
    const { out, published } = await run({ ...PROCESS_PNG, thumbnail: true }, { payload: png(64, 32), topic: 'secret-topic' });
    expect(Buffer.isBuffer(out.payload)).toBe(true);
    expect(published).toHaveLength(1);
    const sent = published[0].data;
    expect(Object.keys(sent).sort()).toEqual(['bytes', 'data', 'height', 'id', 'type', 'width']);
    expect(sent).toMatchObject({ id: 'req', type: 'image/png', width: 64, height: 32, bytes: (out.payload as Buffer).length });
    expect(Buffer.from(sent.data!, 'base64').equals(out.payload as Buffer)).toBe(true);
    // Beside the image bytes (equal to the payload, above), nothing of the call or the message.
    const text = JSON.stringify(published.map((p) => ({ ...p, data: { ...p.data, data: undefined } })));
    for (const leak of [bed.emu.url, DEMO_CLIENT.clientSecret, 'secret-topic', 'eyJ', 'processingunits']) expect(text).not.toContain(leak);
  });

  test('off by default: the same run publishes nothing', async () => {
    const { out, published } = await run(PROCESS_PNG, { payload: png(64, 32) });
    expect(Buffer.isBuffer(out.payload)).toBe(true);
    expect(published).toEqual([]);
  });

  test('a JPEG is sent as image/jpeg; an answer that is not an image is not sent', async () => {
    const jpeg = await run({ ...PROCESS_PNG, accept: 'image/jpeg', thumbnail: true }, { payload: png(40, 20) });
    expect(jpeg.published.map((p) => [p.data.type, p.data.width, p.data.height])).toEqual([['image/jpeg', 40, 20]]);
    const tiff = await run({ ...PROCESS_PNG, accept: 'image/tiff', thumbnail: true }, { payload: png(40, 20) });
    expect(Buffer.isBuffer(tiff.out.payload)).toBe(true);
    expect(tiff.published).toEqual([]);
  });

  test('a result written to a file is read back only with "also for files", and its path is never sent', async () => {
    const directory = tempDir('eo-thumbnail-files');
    try {
      const props = { ...PROCESS_PNG, output: 'file', directory, filename: 'preview.png', thumbnail: true };
      const without = await run(props, { payload: png(48, 24) });
      expect(fs.existsSync(without.out.payload as string)).toBe(true);
      expect(without.published).toEqual([]);

      const withFiles = await run({ ...props, thumbnailFiles: true }, { payload: png(48, 24) });
      expect(withFiles.published).toHaveLength(1);
      expect(withFiles.published[0].data).toMatchObject({ type: 'image/png', width: 48, height: 24 });
      expect(Buffer.from(withFiles.published[0].data.data!, 'base64').equals(fs.readFileSync(withFiles.out.payload as string))).toBe(true);
      expect(JSON.stringify(withFiles.published)).not.toContain(directory);
    } finally {
      fs.rmSync(directory, { recursive: true, force: true });
    }
  });
});

describe('limits', () => {
  test(`an image above ${THUMBNAIL_LIMITS.bytes} bytes is refused with its size, without its bytes`, async () => {
    const side = 700; // 700 × 700 × 3 bytes of noise do not compress below 1 MiB
    const big = await encodePng(side, side, randomBytes(side * side * 3));
    expect(big.length).toBeGreaterThan(THUMBNAIL_LIMITS.bytes);
    expect(describeImage('n1', big, big.length, big)).toEqual({
      id: 'n1',
      type: 'image/png',
      width: side,
      height: side,
      bytes: big.length,
      refused: { reason: 'bytes', limit: THUMBNAIL_LIMITS.bytes },
    });
  });

  test(`an image wider than ${THUMBNAIL_LIMITS.side} pixels is refused, however small its file`, async () => {
    const wide = await encodePng(THUMBNAIL_LIMITS.side + 1, 1, rgbPixels(THUMBNAIL_LIMITS.side + 1, 1, 7));
    expect(wide.length).toBeLessThan(THUMBNAIL_LIMITS.bytes);
    const message = describeImage('n1', wide, wide.length, wide);
    expect(message).toMatchObject({ width: THUMBNAIL_LIMITS.side + 1, refused: { reason: 'pixels', limit: THUMBNAIL_LIMITS.side } });
    expect(message?.data).toBeUndefined();
    const edge = await encodePng(THUMBNAIL_LIMITS.side, 1, rgbPixels(THUMBNAIL_LIMITS.side, 1, 7));
    expect(describeImage('n1', edge, edge.length, edge)?.refused).toBeUndefined();
  });

  test('not an image, or not PNG/JPEG: nothing to send', () => {
    expect(describeImage('n1', Buffer.from('{"type":"FeatureCollection"}'), 28)).toBeUndefined();
    expect(describeImage('n1', Buffer.from('GIF89a\x01\x00\x01\x00\x00\x00\x00;', 'latin1'), 14)).toBeUndefined();
    expect(describeImage('n1', encodeJpeg(3, 2), 0)).toMatchObject({ type: 'image/jpeg', width: 3, height: 2 });
  });

  describe('one image a second per node, the latest one waiting', () => {
    beforeEach(() => jest.useFakeTimers());
    afterEach(() => jest.useRealTimers());

    function fakeNode() {
      const published: ThumbnailMessage[] = [];
      let close: ((removed: boolean, done: () => void) => void) | undefined;
      const RED = { comms: { publish: (_topic: string, data: ThumbnailMessage) => published.push(data) } } as unknown as NodeRedApi;
      const node = {
        id: 'n1',
        on: (event: string, listener: (removed: boolean, done: () => void) => void) => {
          if (event === 'close') close = listener;
        },
        warn: () => undefined,
      } as unknown as RedNode;
      return { RED, node, published, close: () => close?.(false, () => undefined) };
    }

    test('three images within a second: the first at once, the third a second later, the second never', async () => {
      const images = await Promise.all([1, 2, 3].map((w) => encodePng(w, 1, rgbPixels(w, 1, w))));
      const { RED, node, published } = fakeNode();
      const send = thumbnailSender(RED, node, { thumbnail: true })!;
      send({ payload: images[0] });
      jest.advanceTimersByTime(100);
      send({ payload: images[1] });
      jest.advanceTimersByTime(100);
      send({ payload: images[2] });
      expect(published.map((p) => p.width)).toEqual([1]);
      jest.advanceTimersByTime(THUMBNAIL_LIMITS.intervalMs - 201);
      expect(published.map((p) => p.width)).toEqual([1]);
      jest.advanceTimersByTime(1);
      expect(published.map((p) => p.width)).toEqual([1, 3]);
    });

    test('closing the node drops the waiting image', async () => {
      const image = await encodePng(2, 2, rgbPixels(2, 2, 2));
      const { RED, node, published, close } = fakeNode();
      const send = thumbnailSender(RED, node, { thumbnail: 'true' })!;
      send({ payload: image });
      send({ payload: image });
      close();
      jest.advanceTimersByTime(5 * THUMBNAIL_LIMITS.intervalMs);
      expect(published).toHaveLength(1);
    });

    test('a path is read only when it is the file the node wrote (msg.eo.path), never one a message names', async () => {
      jest.useRealTimers();
      const directory = tempDir('eo-thumbnail-foreign');
      try {
        const file = path.join(directory, 'image.png');
        fs.writeFileSync(file, await encodePng(8, 8, rgbPixels(8, 8, 1)));
        const { RED, node, published } = fakeNode();
        const send = thumbnailSender(RED, node, { thumbnail: true, thumbnailFiles: true })!;
        // A text answer that happens to be a path, or a path another node put in eo.path of a copy: not read.
        send({ payload: file });
        send({ payload: file, eo: { path: path.join(directory, 'other.png') } });
        await new Promise((r) => setTimeout(r, 100));
        expect(published).toEqual([]);
        send({ payload: file, eo: { path: file } });
        await new Promise((r) => setTimeout(r, 100));
        expect(published.map((p) => [p.width, p.height])).toEqual([[8, 8]]);
      } finally {
        fs.rmSync(directory, { recursive: true, force: true });
      }
    });

    test('off: no sender at all', () => {
      const { RED, node } = fakeNode();
      expect(thumbnailSender(RED, node, { thumbnail: false, thumbnailFiles: true })).toBeUndefined();
      expect(thumbnailSender(RED, node, {})).toBeUndefined();
    });
  });
});
