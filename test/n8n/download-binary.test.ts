/**
 * The n8n node's download (transport `downloadBinary`) when the connection is cut on every
 * attempt: the node's temporary folder is removed whatever happens, so the error must not promise
 * a `.part` file for the next run (the core's default) but say the next run starts over, and keep
 * every other detail the core put in it.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { IExecuteFunctions } from 'n8n-workflow';
import { resolveConnection, TokenCache, type EoError } from '../../nodes/core';
import { downloadBinary } from '../../nodes/EoRequest/transport';
import { DEMO_USER, startEmulator } from '../emulator/server';

test('a download cut on every attempt fails saying the next run starts over, and leaves no temporary folder', async () => {
  const emu = await startEmulator();
  // A private TMPDIR (os.tmpdir() reads it on every call), so other programs' folders do not count.
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'eo-download-binary-'));
  const savedTmp = process.env.TMPDIR;
  process.env.TMPDIR = tmp;
  try {
    emu.fault({ route: '^GET /download/', resetAfterBytes: 10_000 });
    const connection = resolveConnection({
      provider: 'terrascope',
      username: DEMO_USER.username,
      password: DEMO_USER.password,
      tokenUrl: emu.endpoints.terrascope.tokenUrl,
      baseUrl: emu.endpoints.terrascope.baseUrl,
    });
    const tokens = new TokenCache().provider(connection);
    const prepareBinaryData = jest.fn();
    const ctx = { helpers: { prepareBinaryData } } as unknown as IExecuteFunctions;

    const err = (await downloadBinary(ctx, { connection, tokens }, '/download/synthetic/100000.bin', 'cut.bin').catch(
      (e: unknown) => e,
    )) as EoError;

    expect(err).toMatchObject({ code: 'EO_DOWNLOAD_INCOMPLETE' });
    expect(err.message).toMatch(/stopped at \d+ of 100000 bytes after 5 resumes; the file was not created/);
    expect(err.message).not.toMatch(/\.part|continues from it/);
    expect(err.hint).toBe('Nothing partial was kept: running again downloads the file from the start.');
    expect(err.message.endsWith(err.hint ?? '-')).toBe(true);
    expect(err.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/download\/synthetic\/100000\.bin$/);
    expect(prepareBinaryData).not.toHaveBeenCalled();
    expect(fs.readdirSync(tmp)).toEqual([]);
  } finally {
    if (savedTmp === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = savedTmp;
    fs.rmSync(tmp, { recursive: true, force: true });
    await emu.close();
  }
});
