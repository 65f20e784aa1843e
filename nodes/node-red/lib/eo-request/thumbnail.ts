/**
 * The latest image under the node on the editor's canvas. With the node's "Show the result under
 * the node" on, each PNG or JPEG answer is sent to the open editors over RED.comms (topic
 * `eo-request/thumbnail`), where the editor scales it down and draws it below the node. Only the
 * node id, the image type, its size in pixels and the image bytes are sent: never the message, its
 * URL, headers or a file path. Images above {@link THUMBNAIL_LIMITS} are refused (the editor says
 * why); a result written to a file is read back only when "also for files" is on, and only the
 * file the node itself has just written.
 */
import fs from 'node:fs/promises';
import { imageSize } from 'image-size';
import type { NodeMessage, NodeRedApi, RedNode } from '../red';

export const THUMBNAIL_TOPIC = 'eo-request/thumbnail';

/** What reaches the editor at most: 1 MiB of image, 4096 pixels a side, one image a second per node. */
export const THUMBNAIL_LIMITS = { bytes: 1024 * 1024, side: 4096, intervalMs: 1000 } as const;

/** Enough of a file's head to find the size of a PNG or JPEG (JPEG's EXIF block comes first). */
const HEAD_BYTES = 128 * 1024;

const TYPES: Record<string, 'image/png' | 'image/jpeg'> = { png: 'image/png', jpg: 'image/jpeg' };

/** What the editor receives. */
export interface ThumbnailMessage {
  id: string;
  type: 'image/png' | 'image/jpeg';
  width: number;
  height: number;
  bytes: number;
  /** The image, base64; absent when it was refused. */
  data?: string;
  /** Why the image is not shown: larger than `limit` bytes, or than `limit` pixels a side. */
  refused?: { reason: 'bytes' | 'pixels'; limit: number };
}

/** RED.comms, which the node API offers and red.ts does not declare. */
interface Comms {
  comms: { publish(topic: string, data: unknown, retain?: boolean): void };
}

function isOn(value: unknown): boolean {
  return value === true || value === 'true';
}

/** Type and size of a PNG or JPEG, from its head; undefined for anything else. */
function imageFacts(head: Buffer): { type: 'image/png' | 'image/jpeg'; width: number; height: number } | undefined {
  try {
    const size = imageSize(head);
    const type = TYPES[size.type ?? ''];
    return type && size.width > 0 && size.height > 0 ? { type, width: size.width, height: size.height } : undefined;
  } catch {
    return undefined; // not an image the library knows, or a head too short to tell
  }
}

/** The message for an image of `bytes` bytes whose head is `head` (the whole image when `data` is given). */
export function describeImage(id: string, head: Buffer, bytes: number, data?: Buffer): ThumbnailMessage | undefined {
  const facts = imageFacts(head);
  if (!facts) return undefined;
  const message: ThumbnailMessage = { id, ...facts, bytes };
  if (bytes > THUMBNAIL_LIMITS.bytes) message.refused = { reason: 'bytes', limit: THUMBNAIL_LIMITS.bytes };
  else if (Math.max(facts.width, facts.height) > THUMBNAIL_LIMITS.side)
    message.refused = { reason: 'pixels', limit: THUMBNAIL_LIMITS.side };
  else if (data) message.data = data.toString('base64');
  return message;
}

/** The file the node has just written, as the editor should see it (read only as far as needed). */
async function describeFile(id: string, file: string): Promise<ThumbnailMessage | undefined> {
  const handle = await fs.open(file, 'r');
  try {
    const { size } = await handle.stat();
    const length = size > THUMBNAIL_LIMITS.bytes ? Math.min(size, HEAD_BYTES) : size;
    const buffer = Buffer.alloc(length);
    const { bytesRead } = await handle.read(buffer, 0, length, 0);
    const read = buffer.subarray(0, bytesRead);
    return describeImage(id, read, size, size > THUMBNAIL_LIMITS.bytes ? undefined : read);
  } finally {
    await handle.close();
  }
}

/**
 * For a node whose properties turn thumbnails on, the function to call with each output message;
 * undefined when they are off. Sends at most one image per {@link THUMBNAIL_LIMITS.intervalMs}
 * (the latest one waits for its turn) and stops with the node.
 */
export function thumbnailSender(RED: NodeRedApi, node: RedNode, props: object): ((msg: NodeMessage) => void) | undefined {
  const settings = props as { thumbnail?: unknown; thumbnailFiles?: unknown };
  if (!isOn(settings.thumbnail)) return undefined;
  const files = isOn(settings.thumbnailFiles);
  const { comms } = RED as NodeRedApi & Comms;
  let lastSent = 0;
  let waiting: ThumbnailMessage | undefined;
  let timer: NodeJS.Timeout | undefined;

  function publish(message: ThumbnailMessage): void {
    const wait = lastSent + THUMBNAIL_LIMITS.intervalMs - Date.now();
    if (wait <= 0 && !timer) {
      lastSent = Date.now();
      comms.publish(THUMBNAIL_TOPIC, message, false);
      return;
    }
    waiting = message;
    timer ??= setTimeout(
      () => {
        timer = undefined;
        const next = waiting;
        waiting = undefined;
        if (next) publish(next);
      },
      Math.max(wait, 0),
    );
    timer.unref();
  }

  let closed = false;
  node.on('close', (_removed, done) => {
    closed = true;
    clearTimeout(timer);
    done();
  });

  return (msg) => {
    const payload = msg.payload;
    if (Buffer.isBuffer(payload)) {
      const message = describeImage(node.id, payload, payload.length, payload);
      if (message) publish(message);
      return;
    }
    // A path is read only when it is the file this node wrote (msg.eo.path), never any path a message names.
    const written = (msg.eo as { path?: unknown } | undefined)?.path;
    if (!files || typeof payload !== 'string' || written !== payload) return;
    describeFile(node.id, payload).then(
      (message) => {
        if (message && !closed) publish(message);
      },
      (err: Error) => node.warn(`No thumbnail: ${err.message}`),
    );
  };
}
