/**
 * What the fuzz test watches: a sandbox folder (the download folder, decoys beside it, links
 * leading out of it) whose every file outside the download folder must stay as it was, and a
 * witness server on another origin that records every request and any Authorization it got.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';

export interface Sandbox {
  root: string;
  /** The folder the eo-request nodes write into. */
  out: string;
  /** Decoys: files and a folder outside `out` that links in `out` lead to. */
  outside: string;
  /** Working directory of Node-RED (relative paths would land here). */
  cwd: string;
  /** Puts the escaping links back (a download may legitimately replace a link by a file). */
  relink(): void;
}

export function makeSandbox(root: string): Sandbox {
  const out = path.join(root, 'out');
  const outside = path.join(root, 'outside');
  const cwd = path.join(root, 'cwd');
  for (const dir of [out, path.join(outside, 'linked'), cwd]) fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(outside, 'target.bin'), 'the file a link points at; must stay unchanged\n');
  fs.writeFileSync(path.join(outside, 'secret.txt'), 'a file outside the folder\n');
  const relink = (): void => {
    for (const [name, target] of [
      ['link-dir', path.join(outside, 'linked')],
      ['link-file.bin', path.join(outside, 'target.bin')],
    ]) {
      const link = path.join(out, name);
      const stat = fs.lstatSync(link, { throwIfNoEntry: false });
      if (stat?.isSymbolicLink()) continue;
      if (stat) fs.rmSync(link, { recursive: true, force: true });
      fs.symlinkSync(target, link);
    }
  };
  relink();
  return { root, out, outside, cwd, relink };
}

/** Path → type, size and content hash of everything under `root` except `skip` (symlinks by target). */
export function snapshot(root: string, skip: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (dir: string): void => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, e.name);
      if (full === skip) continue;
      const rel = path.relative(root, full);
      if (e.isSymbolicLink()) out.set(rel, `link → ${fs.readlinkSync(full)}`);
      else if (e.isDirectory()) {
        out.set(rel, 'dir');
        walk(full);
      } else out.set(rel, `file ${createHash('sha256').update(fs.readFileSync(full)).digest('hex')}`);
    }
  };
  walk(root);
  return out;
}

/** Entries added, removed or changed between two snapshots. */
export function snapshotChanges(before: Map<string, string>, after: Map<string, string>): string[] {
  const changes: string[] = [];
  for (const [k, v] of after) if (before.get(k) !== v) changes.push(`${before.has(k) ? 'changed' : 'added'}: ${k}`);
  for (const k of before.keys()) if (!after.has(k)) changes.push(`removed: ${k}`);
  return changes;
}

export interface WitnessRequest {
  method: string;
  url: string;
  authorization: boolean;
  /** Header names that only a CRLF injection could have produced. */
  injected: boolean;
}

/** A server on an origin no token may reach: answers 200 to everything and remembers it. */
export interface Witness {
  url: string;
  requests: WitnessRequest[];
  close(): Promise<void>;
}

export async function startWitness(): Promise<Witness> {
  const requests: WitnessRequest[] = [];
  const server: Server = createServer((req, res) => {
    requests.push({
      method: req.method ?? '',
      url: (req.url ?? '').slice(0, 200),
      authorization: req.headers.authorization !== undefined,
      injected: req.headers['x-injected'] !== undefined,
    });
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': 7 });
      res.end('witness');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
