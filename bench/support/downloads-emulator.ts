/**
 * The provider emulator as a process of its own (so serving 2 GiB costs nothing in the processes
 * being measured), a Terrascope token from it, and the check that a downloaded file holds exactly
 * the emulator's deterministic body: a fast but wrong download must not win.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { open } from 'node:fs/promises';
import path from 'node:path';
import { bodyBytes } from '../../test/emulator/bodies';
import { syntheticSource } from '../../test/emulator/sources';
import { DEMO_USER } from '../../test/emulator/state';
import type { EmulatorEndpoints } from '../../test/emulator/types';
import { repoRoot } from '../../test/support/paths';

/** A running emulator process. */
export interface EmulatorProcess {
  url: string;
  endpoints: EmulatorEndpoints;
  child: ChildProcess;
  stop(): Promise<void>;
}

/** Where the emulator serves a synthetic body of `bytes` (relative to the Terrascope base URL). */
export function syntheticPath(bytes: number): string {
  return `/download/synthetic/${bytes}.bin`;
}

/** Starts `dist/test/emulator/cli.js` on free ports with Node 24 (`nodeBin`) and waits for its URL. */
export async function startEmulatorProcess(nodeBin: string): Promise<EmulatorProcess> {
  const cli = path.join(repoRoot, 'dist', 'test', 'emulator', 'cli.js');
  const child = spawn(nodeBin, [cli, '--port', '0', '--second-port', '0'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NODE_OPTIONS: '' },
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  };
  let output = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the emulator did not start within 20 s:\n${output}`)), 20_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
      const m = /main origin\s+(http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the emulator exited with ${code}:\n${output}`));
    });
  });
  const endpoints = (await (await fetch(`${url}/__emulator/endpoints`)).json()) as EmulatorEndpoints;
  return { url, endpoints, child, stop };
}

/** A Terrascope access token from the emulator (password grant with its demo user). */
export async function terrascopeToken(endpoints: EmulatorEndpoints): Promise<string> {
  const res = await fetch(endpoints.terrascope.tokenUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'password', client_id: 'public', username: DEMO_USER.username, password: DEMO_USER.password }),
  });
  if (!res.ok) throw new Error(`the emulator refused the token request: ${res.status}`);
  return ((await res.json()) as { access_token: string }).access_token;
}

/**
 * Reads and discards a body of `bytes` in this process, which is not measured: the emulator
 * computes its content blocks on first use, and the first measured transfer must not pay for that.
 */
export async function primeEmulator(endpoints: EmulatorEndpoints, token: string, bytes = 64 * 1024 * 1024): Promise<void> {
  const res = await fetch(endpoints.terrascope.baseUrl + syntheticPath(bytes), { headers: { authorization: `Bearer ${token}` } });
  if (!res.ok || !res.body) throw new Error(`the emulator answered ${res.status} to the priming download`);
  for await (const chunk of res.body) void chunk;
}

/**
 * Whether `file` holds exactly the synthetic body of `bytes` bytes: its size, then every byte
 * compared with the emulator's content (a pure function of path and offset), block by block.
 */
export async function matchesSyntheticBody(file: string, bytes: number): Promise<{ ok: boolean; why?: string }> {
  const src = syntheticSource(bytes);
  const handle = await open(file, 'r');
  try {
    const size = (await handle.stat()).size;
    if (size !== bytes) return { ok: false, why: `${size} bytes on disk, ${bytes} expected` };
    const block = Buffer.allocUnsafe(4 * 1024 * 1024);
    for (let pos = 0; pos < size;) {
      const { bytesRead } = await handle.read(block, 0, Math.min(block.length, size - pos), pos);
      if (bytesRead === 0) return { ok: false, why: `the file ended early at ${pos}` };
      if (!block.subarray(0, bytesRead).equals(bodyBytes(src, pos, pos + bytesRead)))
        return { ok: false, why: `content differs in the 4 MiB block at byte ${pos}` };
      pos += bytesRead;
    }
    return { ok: true };
  } finally {
    await handle.close();
  }
}
