/**
 * Seeded hostile messages for eo-request: URL, method, headers, body and file name drawn from
 * lists of valid and dangerous values, and random mixtures of them. Values travel to Node-RED as
 * JSON; what JSON cannot carry is tagged and built inside Node-RED by the fuzz flow's decoder
 * (Buffers, 20 MB bodies, circular and very deep objects, undefined, NaN).
 */
import { prng } from '../../emulator/http';

/** Which eo-request node of the fuzz flow a message goes to. */
/** An absolute file name outside the sandbox: the fuzz test checks it is neither created nor changed. */
export const ABSOLUTE_OUTSIDE = '/tmp/eo-fuzz-absolute.bin';

export type FuzzTarget = 'request-auto' | 'request-post' | 'request-file' | 'download' | 'process';
export const FUZZ_TARGETS: FuzzTarget[] = ['request-auto', 'request-post', 'request-file', 'download', 'process'];

/** A field value, JSON with tags: {$buf: base64}, {$big: bytes}, {$str: length}, {$circular}, {$deep: depth}, {$undefined}, {$nan}. */
export type Encoded = unknown;

export interface FuzzMessage {
  id: number;
  target: FuzzTarget;
  fields: Partial<Record<'url' | 'method' | 'headers' | 'payload' | 'filename' | 'requestTimeout', Encoded>>;
}

/** The places the generator points at: the provider (allowed), and origins that must never see a token. */
export interface FuzzPlaces {
  allowed: string;
  second: string;
  witness: string;
  /** An absolute path outside the download folder (in the sandbox, so writes there are noticed). */
  outsideDir: string;
}

/** Header names and values a hostile or careless flow might set. */
const HEADER_NAMES = [
  'x-test',
  'Accept',
  'Content-Type',
  'Authorization',
  'authorization',
  'AUTHORIZATION',
  'Host',
  'Cookie',
  'Proxy-Authorization',
  'Content-Length',
  'Transfer-Encoding',
  'Connection',
  'Expect',
  'x-a\r\nx-injected: 1',
  'x-nul\0',
  '',
  ' ',
  'Ü-header',
  ':authority',
  'x'.repeat(9000),
  'x-node-red-request-node',
  'Range',
  'If-None-Match',
];
const HEADER_VALUES: Encoded[] = [
  'Bearer stolen-token-value',
  'evil.example',
  'a\r\nx-injected: 1',
  'nul\0value',
  'ok',
  'application/json',
  'bytes=0-10',
  '\n',
  'x'.repeat(70_000),
  123,
  true,
  null,
  {},
  ['a', 'b'],
  ['ok\r\nx-injected: 1'],
  { $buf: Buffer.from([0, 1, 2, 255]).toString('base64') },
  { $undefined: true },
  '0',
];

const METHODS: Encoded[] = [
  'GET',
  'POST',
  'PUT',
  'PATCH',
  'DELETE',
  'HEAD',
  'get',
  'post',
  'CONNECT',
  'TRACE',
  'OPTIONS',
  'G\r\nET',
  'GET\0',
  '',
  ' ',
  123,
  null,
  {},
  ['GET'],
];

export function generateMessages(seed: number, count: number, places: FuzzPlaces): FuzzMessage[] {
  const random = prng(seed);
  const pick = <T>(list: T[]): T => list[Math.floor(random() * list.length)];
  const chance = (p: number) => random() < p;
  const int = (max: number) => Math.floor(random() * max);
  const bytes = (n: number) => Buffer.from(Array.from({ length: n }, () => int(256))).toString('base64');
  // Binary bodies are drawn once and reused: building a 64 kB value for every message is slow.
  const binaryBodies = [bytes(64 * 1024), ...Array.from({ length: 15 }, () => bytes(int(4096)))];
  const binaryBody = (): Encoded => ({ $buf: pick(binaryBodies) });

  const processRequest = {
    input: { bounds: { bbox: [12.44, 41.87, 12.54, 41.93] }, data: [{ type: 'sentinel-2-l2a' }] },
    output: { width: 8, height: 8, responses: [{ identifier: 'default', format: { type: 'image/png' } }] },
    evalscript: '//VERSION=3\nfunction setup(){return{input:["B04"],output:{bands:1}}}\nfunction evaluatePixel(s){return[s.B04]}',
  };

  const urls = (): Encoded => {
    const synthetic = `/download/synthetic/${pick([0, 1, 1000, 65_536, 300_000])}.bin`;
    return pick<Encoded>([
      '/api/v1/process',
      '/api/v1/catalog/1.0.0/search',
      synthetic,
      'download/synthetic/1000.bin',
      '/fuzz-redirect/witness',
      '/fuzz-redirect/second',
      '/fuzz-redirect/307',
      '/fuzz-redirect/javascript',
      `${places.allowed}${synthetic}`,
      `${places.allowed}/api/v1/process`,
      `${places.second}${synthetic}`,
      `${places.second}/api/v1/process`,
      `${places.witness}/steal`,
      `${places.witness}${synthetic}`,
      `//${places.witness.replace(/^http:\/\//, '')}/steal`,
      `http://user:pw@${places.allowed.replace(/^http:\/\//, '')}/x`,
      `http://${places.allowed.replace(/^http:\/\//, '')}@${places.witness.replace(/^http:\/\//, '')}/steal`,
      places.allowed.replace('127.0.0.1', 'localhost') + synthetic,
      places.witness.replace('http:', 'HTTP:') + '/steal',
      places.allowed.replace('http:', 'https:') + '/x',
      'file:///etc/passwd',
      `file://${places.outsideDir}/secret.txt`,
      'data:text/plain,hello',
      'javascript:alert(1)',
      'ftp://127.0.0.1/x',
      'ws://127.0.0.1/x',
      'mailto:a@b',
      '/api/v1/process\r\nHost: evil.example',
      '/download/synthetic/1000.bin\r\n\r\nGET /steal HTTP/1.1',
      '/x\0y',
      '/%2e%2e/%2e%2e/etc/passwd',
      '/../../etc/passwd',
      `/${'a'.repeat(100_000)}`,
      `${places.witness}/${'b'.repeat(20_000)}`,
      '',
      '   ',
      'http://',
      'http://[::1',
      '::',
      '\\\\evil\\share',
      123,
      null,
      {},
      ['/api/v1/process'],
      { $buf: bytes(16) },
      { $undefined: true },
      true,
    ]);
  };

  const headers = (): Encoded => {
    if (chance(0.15))
      return pick<Encoded>(['Authorization: Bearer x', ['Authorization', 'x'], 42, null, { $buf: bytes(8) }, { $circular: true }]);
    const out: Record<string, Encoded> = {};
    for (let i = 0, n = 1 + int(4); i < n; i++) out[pick(HEADER_NAMES)] = pick(HEADER_VALUES);
    return out;
  };

  const filenames = (): Encoded =>
    pick<Encoded>([
      'ok.bin',
      'sub/dir/ok.bin',
      '..cache/inside.bin',
      'ok.bin.part',
      'ok.bin.meta.json',
      '../escape.bin',
      '../../escape.bin',
      '..',
      '.',
      './',
      'a/../../escape.bin',
      '..\\escape.bin',
      'sub\\..\\..\\escape.bin',
      `${places.outsideDir}/absolute.bin`,
      ABSOLUTE_OUTSIDE,
      'C:\\escape.bin',
      'c:escape.bin',
      'C:/escape.bin',
      '\\\\server\\share\\escape.bin',
      'nul\0.bin',
      'ok.bin\0../../escape.bin',
      'link-dir/through-link.bin',
      'link-file.bin',
      'link-dir/../escape.bin',
      `${'n'.repeat(300)}.bin`,
      `${'d/'.repeat(200)}deep.bin`,
      'ünïcødé.bin',
      ' ',
      '',
      'CON',
      'a:b.bin',
      123,
      null,
      {},
      ['ok.bin'],
      { $buf: bytes(12) },
      true,
    ]);

  const payloads = (): Encoded =>
    // 20 MB bodies often enough to come up a dozen times in 3000 messages.
    chance(0.02)
      ? { $big: 20 * 1024 * 1024 }
      : pick<Encoded>([
          { $undefined: true },
          null,
          '',
          'plain text',
          'nul\0and\r\ncrlf',
          JSON.stringify(processRequest),
          processRequest,
          { collections: ['sentinel-2-l2a'], limit: 5 },
          [1, 2, 3],
          42,
          -0.5,
          true,
          false,
          { $nan: true },
          binaryBody(),
          binaryBody(),
          { $str: 2_000_000 },
          { $circular: true },
          // Deep, but not thousands of levels: Node-RED's own Catch handling clones the message
          // recursively and overflows the stack on such an object whichever node reported the error.
          { $deep: 400 },
          { a: { b: { c: '\u0000\uffff\ud800' } } },
          { $big: 2 * 1024 * 1024 },
        ]);

  /** A message each target answers with a result; the hostile values are mixed into it. */
  const baseline = (target: FuzzTarget, id: number): FuzzMessage['fields'] => {
    switch (target) {
      case 'request-auto':
        return { method: 'POST', url: '/api/v1/process', payload: processRequest };
      case 'request-post':
        return { url: '/api/v1/catalog/1.0.0/search', payload: { collections: ['sentinel-2-l2a'], limit: 5 } };
      case 'request-file':
        return { method: 'POST', url: '/api/v1/process', payload: processRequest, filename: `ok-${id}.png` };
      case 'download':
        return { url: `/download/synthetic/${pick([0, 1000, 65_536, 300_000])}.bin`, filename: `ok-${id}.bin` };
      default:
        return { payload: processRequest };
    }
  };
  const hostile: Record<keyof FuzzMessage['fields'], (target: FuzzTarget) => Encoded> = {
    url: urls,
    method: () => pick(METHODS),
    headers,
    payload: payloads,
    filename: filenames,
    requestTimeout: () => pick<Encoded>([1, 50, 'abc', -5, 1e12, null]),
  };
  const fieldNames = Object.keys(hostile) as (keyof FuzzMessage['fields'])[];

  const messages: FuzzMessage[] = [];
  for (let id = 1; id <= count; id++) {
    const target = pick(FUZZ_TARGETS);
    const fields = baseline(target, id);
    // One hostile field most of the time, sometimes several, now and then none (the control).
    const hostileCount = chance(0.08) ? 0 : chance(0.6) ? 1 : 2 + int(3);
    for (let i = 0; i < hostileCount; i++) {
      const name = pick(fieldNames);
      fields[name] = hostile[name](target);
    }
    messages.push({ id, target, fields });
  }
  return messages;
}

/** How many generated messages carry each kind of hostile value (for the table). */
export function describeMix(messages: FuzzMessage[], places: FuzzPlaces): Record<string, number> {
  const count: Record<string, number> = {};
  const add = (kind: string, yes: boolean) => {
    if (yes) count[kind] = (count[kind] ?? 0) + 1;
  };
  const isText = (v: unknown): v is string => typeof v === 'string';
  for (const { fields: f } of messages) {
    const headerText = JSON.stringify(f.headers ?? '');
    add('CRLF/NUL in headers', /\\r\\n|\\u0000|\\n/.test(headerText));
    add('Authorization/Host/Cookie headers', /"(authorization|host|cookie|proxy-authorization)"/i.test(headerText));
    add('other-host URLs', isText(f.url) && [places.second, places.witness, 'localhost', '@'].some((p) => f.url!.toString().includes(p)));
    add('non-http schemes', isText(f.url) && /^(file|data|javascript|ftp|ws|mailto):/i.test(f.url));
    add('URLs over 10 kB', isText(f.url) && f.url.length > 10_000);
    add(
      'escaping file names (.., absolute, drive, UNC, NUL, links)',
      isText(f.filename) && /\.\.[\\/]|^\.\.$|^[\\/]|^[a-z]:|\0|^link-/i.test(f.filename),
    );
    add('20 MB bodies', JSON.stringify(f.payload ?? null).includes(String(20 * 1024 * 1024)));
    add('binary bodies', JSON.stringify(f.payload ?? null).includes('"$buf"'));
    add(
      'non-string url/method/filename',
      [f.url, f.method, f.filename].some((v) => v !== undefined && !isText(v)),
    );
  }
  return count;
}
