/**
 * The n8n node's temporary download folders: named after their owner process and host, and the
 * ones whose owner died (a killed n8n, a killed queue-mode worker) removed by the next download,
 * never one whose owner still runs or that another host made. The kill itself, in a real n8n, is
 * in the reliability suite (test/reliability/faults-n8n-machine.test.ts).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { makeDownloadFolder } from '../../nodes/EoRequest/transport/temp-folder';

let tmp: string;
let live: ChildProcess;

beforeAll(() => {
  // A private parent folder, so other programs' folders do not count.
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'eo-temp-folder-'));
  live = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60_000)'], { stdio: 'ignore' });
});

afterAll(() => {
  live.kill('SIGKILL');
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** The id of a process that has ended. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(child.stdout);
}

function plant(name: string): string {
  fs.mkdirSync(path.join(tmp, name));
  fs.writeFileSync(path.join(tmp, name, 'download.bin.part'), Buffer.alloc(4096));
  return name;
}

test("removes the folders of this host's dead processes, keeps live owners', other hosts' and folders it did not name", async () => {
  const host = os.hostname().replace(/[^A-Za-z0-9.-]/g, '_');
  const orphan = plant(`eo-n8n-dl-${deadPid()}@${host}-Ab12Cd`);
  const kept = [
    plant(`eo-n8n-dl-${live.pid}@${host}-Ef34Gh`),
    plant(`eo-n8n-dl-${deadPid()}@another-host-Ij56Kl`),
    plant('eo-n8n-Mn78Op'),
    plant('eo-n8n-home-Qr90St'),
  ];

  const mine = await makeDownloadFolder(tmp);

  expect(path.dirname(mine)).toBe(tmp);
  expect(path.basename(mine)).toMatch(new RegExp(`^eo-n8n-dl-${process.pid}@${host.replace(/\./g, '\\.')}-[A-Za-z0-9]{6}$`));
  const left = fs.readdirSync(tmp);
  expect(left).not.toContain(orphan);
  expect(left.sort()).toEqual([...kept, path.basename(mine)].sort());
});
