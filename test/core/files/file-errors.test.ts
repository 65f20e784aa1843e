/**
 * Write failures name the folder and the fix. The full, read-only and forbidden disks themselves
 * are in the reliability suite (test/reliability/faults-disk.test.ts, which mounts them); these
 * run anywhere: /dev/full answers every write with ENOSPC, and a folder path through a file fails
 * with ENOTDIR for any user.
 */
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startEmulator } from '../../emulator/server';
import type { Emulator } from '../../emulator/types';
import { resolveConnection } from '../../../nodes/core/config/connection';
import { TokenCache } from '../../../nodes/core/auth/token-cache';
import { downloadToFile } from '../../../nodes/core/files/download';
import { saveResponseToFile } from '../../../nodes/core/files/save-response';
import { fileWriteError } from '../../../nodes/core/files/file-errors';
import { EoError } from '../../../nodes/core/errors';
import { expectEoError } from '../../support/fixtures';

let emu: Emulator;
let root: string;

beforeAll(async () => {
  emu = await startEmulator();
  root = mkdtempSync(path.join(tmpdir(), 'eo-file-errors-'));
});
afterAll(async () => {
  await emu.close();
  rmSync(root, { recursive: true, force: true });
});

function errorOf(write: () => void): unknown {
  try {
    write();
  } catch (err) {
    return err;
  }
  throw new Error('expected the write to fail');
}

function connectionFor(provider: 'terrascope' | 'sentinel-hub') {
  const e = provider === 'terrascope' ? emu.endpoints.terrascope : emu.endpoints.sentinelHub;
  const credentials =
    provider === 'terrascope' ? { username: 'demo', password: 'demo-password' } : { clientId: 'demo-client', clientSecret: 'demo-secret' };
  return resolveConnection({ provider, tokenUrl: e.tokenUrl, baseUrl: e.baseUrl, ...credentials });
}

test('a full disk (ENOSPC) becomes EO_FILE_WRITE_FAILED naming the folder as an absolute path, field directory, with what to do', () => {
  const enospc = errorOf(() => writeFileSync('/dev/full', 'x'));
  const err = fileWriteError(enospc, 'relative/downloads') as EoError;
  expect(err).toBeInstanceOf(EoError);
  expect(err.code).toBe('EO_FILE_WRITE_FAILED');
  expect(err.field).toBe('directory');
  expect(err.message).toContain(`The disk of the folder ${path.resolve('relative/downloads')} is full (ENOSPC: no space left)`);
  expect(err.hint).toMatch(/Free some space/);
  expect(err.cause).toBe(enospc);
});

test('a caller that chose the folder itself gives its own advice', () => {
  const enospc = errorOf(() => writeFileSync('/dev/full', 'x'));
  const err = fileWriteError(enospc, '/tmp', { hint: 'Set TMPDIR elsewhere.' }) as EoError;
  expect(err.hint).toBe('Set TMPDIR elsewhere.');
  expect(err.message).toMatch(/^The disk of the folder \/tmp is full .* Set TMPDIR elsewhere\.$/);
});

test('errors that are not about the folder pass unchanged: a socket refused with EACCES, a plain Error', () => {
  const socket = Object.assign(new Error('connect EACCES 10.0.0.1:443'), { code: 'EACCES', syscall: 'connect' });
  const plain = new Error('something else');
  expect(fileWriteError(socket, '/data')).toBe(socket);
  expect(fileWriteError(plain, '/data')).toBe(plain);
});

test('a download into a folder path that runs through a file: EO_FILE_WRITE_FAILED (ENOTDIR) naming the folder, nothing written', async () => {
  const blocker = path.join(root, 'not-a-folder');
  writeFileSync(blocker, 'a file');
  const connection = connectionFor('terrascope');
  const folder = path.join(blocker, 'downloads');
  const err = await expectEoError(
    downloadToFile({ connection, tokens: new TokenCache().provider(connection), url: '/download/synthetic/1024.bin', directory: folder }),
    'EO_FILE_WRITE_FAILED',
  );
  expect(err.message).toContain(`The folder path ${folder} runs through a file, not a folder (ENOTDIR)`);
  expect(err.field).toBe('directory');
  expect(readdirSync(root)).toEqual(['not-a-folder']);
});

test('Process → file into a folder path that runs through a file: the same error naming the folder', async () => {
  const blocker = path.join(root, 'also-a-file');
  writeFileSync(blocker, 'a file');
  const connection = connectionFor('sentinel-hub');
  const err = await expectEoError(
    saveResponseToFile({
      connection,
      tokens: new TokenCache().provider(connection),
      method: 'POST',
      url: '/api/v1/process',
      body: {
        input: { bounds: { bbox: [12.44, 41.87, 12.54, 41.93] }, data: [{ type: 'sentinel-2-l2a' }] },
        output: { width: 8, height: 8, responses: [{ identifier: 'default', format: { type: 'image/png' } }] },
        evalscript: '//VERSION=3\nfunction setup(){return{input:["B04"],output:{bands:1}}}\nfunction evaluatePixel(s){return[s.B04]}',
      },
      directory: path.join(blocker, 'out'),
      filename: 'x.png',
    }),
    'EO_FILE_WRITE_FAILED',
  );
  expect(err.message).toMatch(/runs through a file, not a folder \(ENOTDIR\)/);
});
