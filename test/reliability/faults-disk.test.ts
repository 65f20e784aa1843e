/**
 * The disk failing under Node-RED: a download and a Process → file into a small file system that
 * fills up (a tmpfs with a size limit, mounted by the test), a folder on a read-only file system,
 * a missing folder that cannot be created, and a folder without write permission. For each: a
 * Catch message that names the folder and what is wrong, nothing under the final name, nothing
 * written anywhere else, the runtime up; for the full disk, the next run after space is freed
 * completes (a download resumes from its .part).
 *
 * Root may write anywhere whatever the modes, so Node-RED runs as `nobody` here when the suite
 * runs as root (the permission scenarios need it); the full and read-only disks need mounting,
 * and where that is refused their rows say "skipped" and why.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { listFiles } from '../support/node-red-stack';
import type { Emulator } from '../emulator/types';
import { rememberSecrets } from './hygiene';
import { PROCESS_REQUEST, runtimeHealthy } from './support/fault-checks';
import {
  FAULT_TEST_TIMEOUT_MS,
  FaultBed,
  sentinelHubAuth,
  terrascopeAuth,
  type FaultBedAuth,
  type FaultBedRun,
  type FaultBedTarget,
} from './support/fault-bed';
import { errorCode, errorMessage, excerpt, logMark, outcomeText, Scenario } from './support/observe';
import { describeOnEachRuntime } from './support/runtimes';
import { sha256File, syntheticSha256 } from './support/disk-watch';
import { canSwitchUser, fillUp, mountRefusal, mountTmpfs, remountReadOnly, UNPRIVILEGED, unmount } from './support/mounts';

jest.setTimeout(FAULT_TEST_TIMEOUT_MS);

const GROUP = 'Disk';
const MIB = 1024 * 1024;
/** The full disk: an 8 MiB tmpfs with 4 MiB taken, and a 6 MiB file. */
const DISK_BYTES = 8 * MIB;
const FILLER_BYTES = 4 * MIB;
const FILE_BYTES = 6 * MIB;

const suffix = randomBytes(6).toString('hex');
const client = { clientId: 'disk-sh', clientSecret: `disk-sh-secret-${suffix}` };
const user = { username: 'disk-user', password: `disk-password-${suffix}` };
rememberSecrets([client.clientSecret], 'client secret');
rememberSecrets([user.password], 'password');

const MOUNT_REFUSAL = mountRefusal();
/** Node-RED's user: nobody when the suite runs as root, else the suite's own (for which modes count anyway). */
const ENGINE_USER = canSwitchUser() ? UNPRIVILEGED : undefined;

let bed: FaultBed;
/** The folders of the scenarios, under the bed's files folder. */
let at: { full: string; ro: string; locked: string; open: string };

function setup(emulator: Emulator, files: string): { auths: FaultBedAuth[]; targets: FaultBedTarget[] } {
  emulator.configure({ clients: [client], users: [user] });
  at = {
    full: path.join(files, 'full'),
    ro: path.join(files, 'ro'),
    locked: path.join(files, 'locked'),
    open: path.join(files, 'open'),
  };
  // A folder Node-RED's user may not write in (owned by root; for a suite not run as root, no write bit).
  fs.mkdirSync(at.locked, { mode: 0o755 });
  if (!ENGINE_USER) fs.chmodSync(at.locked, 0o555);
  fs.mkdirSync(at.open);
  if (ENGINE_USER) fs.chownSync(at.open, ENGINE_USER.uid, ENGINE_USER.gid);
  if (!MOUNT_REFUSAL) {
    mountTmpfs(at.full, DISK_BYTES, ENGINE_USER);
    mountTmpfs(at.ro, MIB, ENGINE_USER);
    fs.mkdirSync(path.join(at.ro, 'existing'));
    if (ENGINE_USER) fs.chownSync(path.join(at.ro, 'existing'), ENGINE_USER.uid, ENGINE_USER.gid);
    remountReadOnly(at.ro);
  }
  const download = (id: string, directory: string): FaultBedTarget => ({
    id,
    auth: 'auth-ts',
    props: { operation: 'download', url: `/download/synthetic/${FILE_BYTES}.bin`, directory },
  });
  return {
    auths: [sentinelHubAuth(emulator, client), terrascopeAuth(emulator, user)],
    targets: [
      download('req-full', path.join(at.full, 'downloads')),
      {
        id: 'req-full-process',
        auth: 'auth-sh',
        props: { operation: 'process', accept: 'image/png', output: 'file', directory: path.join(at.full, 'process') },
      },
      download('req-ro', path.join(at.ro, 'existing')),
      download('req-ro-missing', path.join(at.ro, 'missing', 'sub')),
      download('req-locked', at.locked),
      download('req-locked-missing', path.join(at.locked, 'missing')),
      download('req-open-missing', path.join(at.open, 'missing', 'sub')),
      download('req-warm', path.join(at.open, 'warm')),
    ],
  };
}

const ok = (r: FaultBedRun): boolean => r.errors.length === 0 && r.outputs.length === 1;

/** The checks every refused write shares: the code, the folder named as the user set it, the reason. */
function refusedWrite(s: Scenario, r: FaultBedRun, folder: string, reason: RegExp): Scenario {
  const message = errorMessage(r);
  return s
    .observe(outcomeText(r))
    .check('Catch got EO_FILE_WRITE_FAILED', errorCode(r) === 'EO_FILE_WRITE_FAILED')
    .check(`the message names the folder ${folder}`, message.includes(folder))
    .check(`the message says why (${reason.source})`, reason.test(message))
    .check('the message names the field directory', message.includes('(field: directory)'))
    .check('no output message', r.outputs.length === 0);
}

describeOnEachRuntime(
  'disk faults',
  {
    artifacts: 'faults-disk',
    start: async (runtime) => {
      const started = await FaultBed.start({ setup, runtime, user: ENGINE_USER });
      // The token first, so no scenario waits for one.
      const warm = await started.run('req-warm', { url: '/download/synthetic/1024.bin', filename: 'warm.bin' });
      if (!ok(warm)) throw new Error(`warm-up failed: ${outcomeText(warm)}`);
      return started;
    },
    use: (started) => (bed = started),
    // The bed's folder goes after the bed: the file systems mounted in it go first.
    beforeStop: () => {
      if (at) for (const dir of [at.full, at.ro]) unmount(dir);
    },
  },
  diskScenarios,
);

function diskScenarios(engine: string): void {
  const asWhom = ENGINE_USER ? 'Node-RED running as nobody' : 'Node-RED running as the suite’s own user';

  const withMount = MOUNT_REFUSAL ? it.skip : it;
  const FULL_DOWNLOAD = {
    scenario: `a download fills the disk (${DISK_BYTES / MIB} MiB tmpfs, ${FILLER_BYTES / MIB} MiB taken, ${FILE_BYTES / MIB} MiB file)`,
    expected:
      'Catch: EO_FILE_WRITE_FAILED naming the folder, "full (ENOSPC…)" and what to do; no file under the final name; runtime up; space freed → the next run resumes from the .part (1 Range request), byte-identical',
  };
  const FULL_PROCESS = {
    scenario: 'Process → file into the full disk',
    expected:
      'Catch: EO_FILE_WRITE_FAILED naming the folder, ENOSPC (not "the answer broke off"); no file, no .part; runtime up; space freed → the next run writes the file',
  };
  const RO = {
    scenario: 'download into a folder on a read-only file system',
    expected: 'Catch: EO_FILE_WRITE_FAILED naming the folder, "read-only file system (EROFS)"; nothing written; runtime up',
  };
  const RO_MISSING = {
    scenario: 'download into a missing folder on a read-only file system',
    expected: 'Catch: EO_FILE_WRITE_FAILED naming the folder, EROFS; nothing created; runtime up',
  };
  if (MOUNT_REFUSAL) {
    beforeAll(() => {
      for (const row of [FULL_DOWNLOAD, FULL_PROCESS, RO, RO_MISSING])
        new Scenario(GROUP, engine, row.scenario, row.expected).skip(MOUNT_REFUSAL);
    });
  }

  withMount(
    'a download that fills the disk: ENOSPC naming the folder, no final file; once space is freed the next run resumes and completes',
    async () => {
      const folder = path.join(at.full, 'downloads');
      const filler = path.join(at.full, 'filler.bin');
      fs.writeFileSync(filler, Buffer.alloc(FILLER_BYTES, 0xaa));
      const failed = await bed.run('req-full', { filename: 'tile.bin' });
      const left = listFiles(folder);
      const partBytes = fs.existsSync(path.join(folder, 'tile.bin.part')) ? fs.statSync(path.join(folder, 'tile.bin.part')).size : 0;
      const s = refusedWrite(
        new Scenario(GROUP, engine, FULL_DOWNLOAD.scenario, FULL_DOWNLOAD.expected),
        failed,
        folder,
        /is full \(ENOSPC/,
      )
        .observe(`left: ${left.join(', ')} (.part ${partBytes} bytes)`)
        .check('no file under the final name', !left.includes('tile.bin'));
      await runtimeHealthy(bed, s);
      fs.rmSync(filler);
      const mark = logMark(bed.emulator);
      const again = await bed.run('req-full', { filename: 'tile.bin' });
      const ranges = bed.emulator
        .log()
        .slice(mark)
        .filter((e) => e.path.startsWith('/download/'))
        .map((e) => String(e.headers.range ?? 'none'));
      const identical =
        fs.existsSync(path.join(folder, 'tile.bin')) && (await sha256File(path.join(folder, 'tile.bin'))) === syntheticSha256(FILE_BYTES);
      s.observe(`space freed: ${outcomeText(again)}, Range ${ranges.join(', ')}, ${identical ? 'byte-identical' : 'NOT identical'}`)
        .check('the next run completes', ok(again))
        .check(
          'it resumed from the .part with 1 Range request',
          ranges.length === 1 && ranges[0] === `bytes=${partBytes}-` && partBytes > 0,
        )
        .check('byte-identical', identical);
      fs.rmSync(folder, { recursive: true, force: true });
      s.finish();
    },
  );

  withMount(
    'Process → file into a full disk: ENOSPC naming the folder, no file and no .part; once space is freed the next run writes it',
    async () => {
      const folder = path.join(at.full, 'process');
      const filled = fillUp(at.full);
      const failed = await bed.run('req-full-process', { payload: PROCESS_REQUEST, filename: 'ndvi.png' });
      const left = listFiles(folder);
      const s = refusedWrite(new Scenario(GROUP, engine, FULL_PROCESS.scenario, FULL_PROCESS.expected), failed, folder, /is full \(ENOSPC/)
        .observe(`disk filled with ${(filled / MIB).toFixed(1)} MiB; left: ${left.join(', ') || 'nothing'}`)
        .check('not reported as an answer that broke off', !/broke off/.test(errorMessage(failed)))
        .check('no file, no .part', left.length === 0);
      await runtimeHealthy(bed, s);
      fs.rmSync(path.join(at.full, 'filler.bin'));
      const again = await bed.run('req-full-process', { payload: PROCESS_REQUEST, filename: 'ndvi.png' });
      s.observe(`space freed: ${outcomeText(again)}; files: ${listFiles(folder).join(', ')}`).check(
        'the next run writes the file',
        ok(again) && listFiles(folder).join(',') === 'ndvi.png',
      );
      s.finish();
    },
  );

  /** A download that must be refused before anything is written: everything under `watched` stays as it was. */
  async function refusedDownload(
    target: string,
    folder: string,
    watched: string,
    row: { scenario: string; expected: string },
    reason: RegExp,
  ): Promise<void> {
    const before = listFiles(watched);
    const r = await bed.run(target, { filename: 'tile.bin' });
    const after = listFiles(watched);
    const s = refusedWrite(new Scenario(GROUP, engine, row.scenario, row.expected), r, folder, reason)
      .observe(`files under ${path.basename(watched)}/: ${before.length} before, ${after.length} after`)
      .check('nothing written', after.join(',') === before.join(',') && !fs.existsSync(path.join(folder, 'tile.bin')));
    await runtimeHealthy(bed, s);
    s.finish();
  }

  withMount('a folder on a read-only file system: EROFS naming the folder, nothing written', () =>
    refusedDownload('req-ro', path.join(at.ro, 'existing'), at.ro, RO, /read-only file system \(EROFS\)/),
  );

  withMount('a missing folder on a read-only file system: EROFS naming the folder, nothing created', () =>
    refusedDownload('req-ro-missing', path.join(at.ro, 'missing', 'sub'), at.ro, RO_MISSING, /read-only file system \(EROFS\)/),
  );

  it('a folder without write permission: EACCES naming the folder and the user, nothing written', () =>
    refusedDownload(
      'req-locked',
      at.locked,
      at.locked,
      {
        scenario: `download into a folder its user may not write in (${asWhom})`,
        expected: 'Catch: EO_FILE_WRITE_FAILED naming the folder and the user, "permission denied (EACCES)"; nothing written; runtime up',
      },
      /may not write in the folder .* \(EACCES: permission denied\)/,
    ));

  it('a missing folder under a folder without write permission: EACCES naming the folder, nothing created', () =>
    refusedDownload(
      'req-locked-missing',
      path.join(at.locked, 'missing'),
      at.locked,
      {
        scenario: `download into a missing folder that its user may not create (${asWhom})`,
        expected: 'Catch: EO_FILE_WRITE_FAILED naming the folder, EACCES; nothing created; runtime up',
      },
      /\(EACCES: permission denied\)/,
    ));

  it('a missing folder that can be created: created, the file written', async () => {
    const folder = path.join(at.open, 'missing', 'sub');
    const r = await bed.run('req-open-missing', { filename: 'tile.bin' });
    const files = listFiles(folder);
    const s = new Scenario(
      GROUP,
      engine,
      'download into a missing folder its user may create',
      'the folder is created and the file written (a missing folder is only an error when it cannot be made)',
    )
      .observe(`${outcomeText(r)}; files: ${files.join(', ')}`)
      .observe(excerpt(errorMessage(r)) || 'no error')
      .check('result', ok(r))
      .check('the file is in the new folder', files.includes('tile.bin'));
    await runtimeHealthy(bed, s);
    s.finish();
  });
}
