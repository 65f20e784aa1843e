/**
 * The machine failing under a real n8n 2.41 (`n8n execute`): the process killed with SIGKILL in
 * the middle of a binary download, and its temporary folder (TMPDIR) full or read-only. A binary
 * download passes through a private folder under TMPDIR and reaches n8n's binary store only once
 * complete. So the questions are whether anything partial is ever presented as a result, whether
 * the killed run's temporary folder is cleaned up by the next run (and a live process's never is),
 * and whether a full or read-only TMPDIR is reported on the item naming the folder and the fix.
 * A download with output "File in Folder" keeps its `.part` instead: killed half-way, the next run
 * must continue it with one Range request into a byte-identical file.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startEmulator } from '../emulator/server';
import type { Emulator } from '../emulator/types';
import { listFiles } from '../support/node-red-stack';
import { EO_REQUEST_TYPE, N8N_VERSION, N8nHome, nodeOutput, type ExecutionResult } from '../support/n8n-process';
import { artifactDir, keepEmulatorRecord, rememberSecrets } from './hygiene';
import {
  recordedBytes,
  recordedRanges,
  refetchedRanges,
  sha256File,
  syntheticSha256,
  waitUntil,
  watchFinalName,
} from './support/disk-watch';
import { mountRefusal, mountTmpfs, remountReadOnly, unmount } from './support/mounts';
import { excerpt, Scenario } from './support/observe';

jest.setTimeout(240_000);

const ENGINE = `n8n ${N8N_VERSION}`;
const ARTIFACTS = artifactDir('faults-n8n-machine');
const MIB = 1024 * 1024;
const BIG = 128 * MIB;
const FILE_BYTES = 6 * MIB;
const DISK_BYTES = 8 * MIB;

const user = { username: 'n8n-machine-user', password: `n8n-machine-password-${randomBytes(6).toString('hex')}` };
rememberSecrets([user.password], 'password');
const CREDENTIAL = { id: 'eoMachineTs', name: 'Terrascope (machine faults)' };
const HOST = os.hostname().replace(/[^A-Za-z0-9.-]/g, '_');
const MOUNT_REFUSAL = mountRefusal();

let emu: Emulator;
let home: N8nHome;
const mounts: string[] = [];

/**
 * Start → one Terrascope download of `size` bytes: into the binary field "data", or with
 * `into.folder` as `big.bin` in that folder (output "File in Folder").
 */
function downloadWorkflow(id: string, size: number, into: { continueOnFail?: boolean; folder?: string }): object {
  const output =
    into.folder === undefined ? { binaryPropertyName: 'data' } : { fileName: 'big.bin', output: 'folder', folder: into.folder };
  return {
    id,
    name: `Download ${size} bytes${into.folder === undefined ? '' : ' into a folder'}`,
    active: false,
    settings: { executionOrder: 'v1' },
    nodes: [
      { id: randomUUID(), name: 'Start', type: 'n8n-nodes-base.manualTrigger', typeVersion: 1, position: [0, 0], parameters: {} },
      {
        id: randomUUID(),
        name: 'Download',
        type: EO_REQUEST_TYPE,
        typeVersion: 1,
        position: [200, 0],
        parameters: { resource: 'terrascope', operation: 'download', url: `/download/synthetic/${size}.bin`, ...output },
        credentials: { terrascopeApi: CREDENTIAL },
        ...(into.continueOnFail ? { onError: 'continueRegularOutput' } : {}),
      },
    ],
    connections: { Start: { main: [[{ node: 'Download', type: 'main', index: 0 }]] } },
  };
}

beforeAll(async () => {
  emu = await startEmulator({ users: [user] });
  home = await N8nHome.create();
  await home.importCredentials([
    {
      ...CREDENTIAL,
      type: 'terrascopeApi',
      data: { ...user, tokenUrl: emu.endpoints.terrascope.tokenUrl, baseUrl: emu.endpoints.terrascope.baseUrl },
    },
  ]);
  await home.importWorkflows([
    downloadWorkflow('eoMachineBig', BIG, {}),
    downloadWorkflow('eoMachineDisk', FILE_BYTES, { continueOnFail: true }),
    downloadWorkflow('eoMachineFolder', BIG, { folder: path.join(home.files, 'crash') }),
  ]);
}, 240_000);

afterAll(async () => {
  for (const dir of mounts) unmount(dir);
  if (emu) {
    keepEmulatorRecord(emu, ARTIFACTS);
    await emu.close();
  }
  await home?.remove();
});

/** Runs a workflow with its own TMPDIR and keeps what n8n printed and returned. */
async function execute(id: string, tmp: string, label: string): Promise<ExecutionResult> {
  const result = await home.execute(id, { TMPDIR: tmp });
  fs.writeFileSync(path.join(ARTIFACTS, `${label}.stdout.log`), result.stdout);
  fs.writeFileSync(path.join(ARTIFACTS, `${label}.stderr.log`), result.stderr);
  if (result.run) fs.writeFileSync(path.join(ARTIFACTS, `${label}.execution.json`), JSON.stringify(result.run, null, 1));
  return result;
}

/**
 * The workflow ran to its end: n8n printed an execution with status success. Not the exit code
 * alone: with a read-only TMPDIR, `n8n execute` on a busy machine now and then dies in its own
 * shutdown (SIGSEGV) after printing the finished execution; the scenario observes the exit.
 */
const wentOn = (r: ExecutionResult): boolean => r.run?.status === 'success';

/** Lines in which n8n reports an unhandled rejection or uncaught exception. */
const trouble = (r: ExecutionResult): string[] =>
  `${r.stdout}\n${r.stderr}`.split('\n').filter((l) => /Unhandled|uncaught exception/i.test(l));
/** Temporary download folders in `tmp`. */
const downloadFolders = (tmp: string): string[] => fs.readdirSync(tmp).filter((f) => f.startsWith('eo-n8n-dl-'));
/** Files in n8n's binary store (filesystem mode). */
const storedBinaries = (): string[] => listFiles(path.join(home.folder, '.n8n', 'storage'));

/** The id of a process that has ended. */
function deadPid(): number {
  return Number(spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout);
}

describe(`machine faults (${ENGINE})`, () => {
  it('killed (SIGKILL) during a 128 MiB binary download: nothing partial presented, and the next run removes the killed run’s temporary folder, never a live one', async () => {
    const tmp = path.join(home.folder, 'tmp-kill');
    fs.mkdirSync(tmp);
    // A folder of a live process on this host (another n8n worker, say) and one of another host.
    const live: ChildProcess = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 120_000)'], { stdio: 'ignore' });
    const planted = [`eo-n8n-dl-${live.pid}@${HOST}-Live01`, `eo-n8n-dl-${deadPid()}@another-host-Else01`];
    for (const name of planted) fs.mkdirSync(path.join(tmp, name));
    const storedBefore = storedBinaries();
    try {
      let child: ChildProcess | undefined;
      home.onSpawn = (spawned) => (child = spawned);
      const killedRun = execute('eoMachineBig', tmp, 'killed');
      const killedFolder = () => downloadFolders(tmp).find((f) => !planted.includes(f));
      const partOf = (folder: string | undefined) => (folder ? path.join(tmp, folder, 'download.bin.part') : '');
      await waitUntil(
        () => (fs.existsSync(partOf(killedFolder())) ? fs.statSync(partOf(killedFolder())).size >= BIG / 2 : false),
        'the download is half done',
        120_000,
      );
      child?.kill('SIGKILL');
      const killed = await killedRun;
      home.onSpawn = undefined;
      const leftFolder = killedFolder();
      const leftBytes = fs.existsSync(partOf(leftFolder)) ? fs.statSync(partOf(leftFolder)).size : 0;
      const storedAfterKill = storedBinaries().filter((f) => !storedBefore.includes(f));

      const again = await execute('eoMachineBig', tmp, 'after-kill');
      const item = nodeOutput(again, 'Download')[0];
      const binary = item?.binary?.data as { id?: string } | undefined;
      const file = binary?.id ? home.binaryPath(binary.id) : '';
      const identical = file !== '' && fs.existsSync(file) && (await sha256File(file)) === syntheticSha256(BIG);
      const foldersAfter = downloadFolders(tmp);
      const s = new Scenario(
        'Crash',
        ENGINE,
        'n8n killed (SIGKILL) at half of a 128 MiB binary download, then the workflow run again',
        'the killed run presents nothing (no output, no binary stored); its temporary folder is removed by the next run, a live process’s folder and another host’s are kept; the next run’s binary is byte-identical',
      )
        .observe(
          `killed: ${killed.code === null ? 'ended by the signal' : `exit ${killed.code}`}, ${nodeOutput(killed, 'Download').length} items, ${storedAfterKill.length} binaries stored; left ${leftFolder ?? 'no folder'} with ${(leftBytes / MIB).toFixed(0)} MiB`,
        )
        .observe(
          `next run: exit ${again.code}, ${item?.json.bytes ?? 0} bytes, ${identical ? 'byte-identical' : 'NOT identical'}; folders after: ${foldersAfter.join(', ') || 'none'}`,
        )
        .check('the kill left its folder with a .part', leftFolder !== undefined && leftBytes >= BIG / 2)
        .check('the killed run presented nothing', killed.run === undefined && storedAfterKill.length === 0)
        .check('the next run completes, byte-identical', again.code === 0 && item?.json.bytes === BIG && identical)
        .check('the killed run’s folder removed', leftFolder !== undefined && !foldersAfter.includes(leftFolder))
        .check(
          'the live process’s and the other host’s folders kept, none of the next run’s left',
          foldersAfter.sort().join(',') === [...planted].sort().join(','),
        )
        .observe(`${trouble(again).length} unhandled`)
        .check('no unhandled rejection / uncaught exception', trouble(again).length === 0);
      s.finish();
    } finally {
      home.onSpawn = undefined;
      live.kill('SIGKILL');
    }
  });

  it('killed (SIGKILL) during a 128 MiB download into a folder: the next run continues where the sidecar says, byte-identical', async () => {
    const dir = path.join(home.files, 'crash');
    const target = path.join(dir, 'big.bin');
    const part = `${target}.part`;
    const tmp = path.join(home.folder, 'tmp-folder-kill');
    fs.mkdirSync(tmp);
    fs.mkdirSync(dir, { recursive: true });
    const watch = watchFinalName(dir, 'big.bin', BIG);
    const downloads = () => emu.log().filter((e) => e.method === 'GET' && e.path.startsWith('/download/'));
    // The credentials' default cap fetches a file this large as parallel ranges.
    const recorded = () => recordedRanges(target);
    const kept = () => recordedBytes(recorded());
    // 16 MB/s per connection: the download takes seconds, so the sidecar (saved every second) has
    // recorded progress when the kill comes.
    emu.configure({ connectionBytesPerSecond: 16_000_000 });
    try {
      let child: ChildProcess | undefined;
      home.onSpawn = (spawned) => (child = spawned);
      const killedRun = execute('eoMachineFolder', tmp, 'folder-killed');
      await waitUntil(() => kept() >= BIG / 4 || fs.existsSync(target), 'the sidecar records a quarter of the file', 120_000);
      child?.kill('SIGKILL');
      const killed = await killedRun;
      home.onSpawn = undefined;
      const left = fs.readdirSync(dir).sort();
      const atKill = recorded();
      const keptAtKill = kept();
      emu.configure({ connectionBytesPerSecond: 0 });
      const resumeMark = downloads().length;
      const again = await execute('eoMachineFolder', tmp, 'folder-after-kill');
      watch.stop();
      // Every request of the next run is a range of the same version (If-Range), and none starts
      // inside bytes the sidecar recorded as on disk: what the killed run kept is not fetched again.
      const resumed = downloads().slice(resumeMark);
      const ranges = resumed.map((e) => String(e.headers.range ?? 'none'));
      const refetched = refetchedRanges(ranges, atKill);
      const item = nodeOutput(again, 'Download')[0];
      const identical = fs.existsSync(target) && (await sha256File(target)) === syntheticSha256(BIG);
      const s = new Scenario(
        'Crash',
        ENGINE,
        'n8n killed (SIGKILL) during a 128 MiB download with output File in Folder (parallel ranges), then the workflow run again',
        'the killed run presents nothing and leaves its .part and sidecar; the next run asks only for ranges (Range + If-Range) and none inside what the sidecar recorded, item resumed ≥ 1; file byte-identical; no file under the final name until complete',
      )
        .observe(
          `killed with ${(keptAtKill / MIB).toFixed(0)} MiB recorded in ${atKill.length} range(s): ${killed.code === null ? 'ended by the signal' : `exit ${killed.code}`}, ${nodeOutput(killed, 'Download').length} items; left ${left.join(', ')}`,
        )
        .observe(
          `next run: exit ${again.code}, ${String(item?.json.bytes ?? 0)} bytes, resumed ${String(item?.json.resumed ?? '-')}, Range ${ranges.join(', ')} (${refetched.length} inside recorded bytes); sha256 ${identical ? 'identical' : 'DIFFERENT'}; final name seen incomplete ${watch.record.incomplete}×`,
        )
        .check('the killed run presented nothing', killed.run === undefined)
        .check(
          'a .part and a sidecar with progress were left, no final file',
          left.includes('big.bin.part') && keptAtKill > 0 && !left.includes('big.bin'),
        )
        .check(
          'the next run asked only for ranges of the same version, none inside recorded bytes',
          resumed.length >= 1 && resumed.every((e) => e.headers.range && e.headers['if-range']) && refetched.length === 0,
        )
        .check(
          'the item names the file, resumed',
          again.code === 0 && item?.json.path === target && item?.json.bytes === BIG && Number(item?.json.resumed) >= 1,
        )
        .check('byte-identical', identical)
        .check('never an incomplete file under the final name', watch.record.incomplete === 0)
        .check('no .part left', !fs.existsSync(part))
        .observe(`${trouble(again).length} unhandled`)
        .check('no unhandled rejection / uncaught exception', trouble(again).length === 0);
      s.finish();
    } finally {
      emu.configure({ connectionBytesPerSecond: 0 });
      home.onSpawn = undefined;
      watch.stop();
    }
  });

  const withMount = MOUNT_REFUSAL ? it.skip : it;
  const FULL = {
    scenario: `TMPDIR on a full disk (${DISK_BYTES / MIB} MiB tmpfs, 4 MiB taken, ${FILE_BYTES / MIB} MiB file), Continue On Fail on`,
    expected:
      'item error naming the temporary folder, "full (ENOSPC…)", description: TMPDIR; no binary; no temporary folder left; workflow goes on (exit 0); space freed → the next run delivers the file',
  };
  const READ_ONLY = {
    scenario: 'TMPDIR on a read-only file system, Continue On Fail on',
    expected:
      'item error naming the temporary folder, "read-only file system (EROFS)", description: TMPDIR; no binary; the execution finishes with status success',
  };
  if (MOUNT_REFUSAL) {
    beforeAll(() => {
      for (const row of [FULL, READ_ONLY]) new Scenario('Disk', ENGINE, row.scenario, row.expected).skip(MOUNT_REFUSAL);
    });
  }

  withMount(
    'TMPDIR full: an item error naming the folder and TMPDIR, nothing left behind; once space is freed the next run delivers',
    async () => {
      const tmp = path.join(home.folder, 'tmp-full');
      mountTmpfs(tmp, DISK_BYTES);
      mounts.push(tmp);
      fs.writeFileSync(path.join(tmp, 'filler.bin'), Buffer.alloc(4 * MIB, 0xaa));
      const full = await execute('eoMachineDisk', tmp, 'disk-full');
      const out = nodeOutput(full, 'Download')[0];
      const error = String(out?.json.error ?? '');
      const left = downloadFolders(tmp);
      fs.rmSync(path.join(tmp, 'filler.bin'));
      const again = await execute('eoMachineDisk', tmp, 'disk-freed');
      const delivered = nodeOutput(again, 'Download')[0];
      const binary = delivered?.binary?.data as { id?: string } | undefined;
      const identical = binary?.id !== undefined && (await sha256File(home.binaryPath(binary.id))) === syntheticSha256(FILE_BYTES);
      const s = new Scenario('Disk', ENGINE, FULL.scenario, FULL.expected)
        .observe(
          `item error "${excerpt(error)}"; description "${excerpt(String(out?.json.description ?? ''), 120)}"; binary ${out?.binary ? 'present' : 'none'}; folders left ${left.length}; exit ${full.code}`,
        )
        .observe(`space freed: ${delivered?.json.bytes ?? 'no'} bytes, ${identical ? 'byte-identical' : 'NOT identical'}`)
        .check('the error names the temporary folder and ENOSPC', error.includes(tmp) && /is full \(ENOSPC/.test(error))
        .check('the description points at TMPDIR', /TMPDIR/.test(String(out?.json.description)))
        .check(
          'no binary, no folder left, workflow went on',
          out !== undefined && out.binary === undefined && left.length === 0 && full.code === 0,
        )
        .check('the next run delivers the file, byte-identical', again.code === 0 && identical)
        .observe(`${trouble(full).length + trouble(again).length} unhandled`)
        .check('no unhandled rejection / uncaught exception', trouble(full).length + trouble(again).length === 0);
      s.finish();
    },
  );

  withMount('TMPDIR read-only: an item error naming the folder, read-only file system', async () => {
    const tmp = path.join(home.folder, 'tmp-ro');
    mountTmpfs(tmp, MIB);
    mounts.push(tmp);
    remountReadOnly(tmp);
    const result = await execute('eoMachineDisk', tmp, 'read-only');
    const out = nodeOutput(result, 'Download')[0];
    const error = String(out?.json.error ?? '');
    const s = new Scenario('Disk', ENGINE, READ_ONLY.scenario, READ_ONLY.expected)
      .observe(`item error "${excerpt(error)}"; binary ${out?.binary ? 'present' : 'none'}; exit ${result.code ?? result.signal}`)
      .check('the error names the temporary folder and EROFS', error.includes(tmp) && /read-only file system \(EROFS\)/.test(error))
      .check('the description points at TMPDIR', /TMPDIR/.test(String(out?.json.description)))
      .check('no binary, workflow went on', out !== undefined && out.binary === undefined && wentOn(result))
      .observe(`${trouble(result).length} unhandled`)
      .check('no unhandled rejection / uncaught exception', trouble(result).length === 0);
    s.finish();
  });
});
