/**
 * `n8n-node lint` (n8n's linter for community node packages, @n8n/node-cli 0.48.3 from the cache)
 * passes on the package. The linter is not a dependency of the package, so it runs on a copy of
 * the package's sources whose node_modules links the linter's install and the package's own.
 */
import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { N8N_CACHE } from '../support/n8n-process';
import { repoRoot } from '../support/paths';

const run = promisify(execFile);
const LINT = join(N8N_CACHE, 'lint');

jest.setTimeout(120_000);

/** A copy of what the linter looks at, with a node_modules the linter's config resolves from. */
async function lintableCopy(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'eo-n8n-lint-'));
  for (const file of ['package.json', 'tsconfig.json', 'README.md', 'LICENSE']) await cp(join(repoRoot, file), join(dir, file));
  // n8n's linter reads eslint.config.mjs; the package keeps n8n's rules apart from its own.
  await cp(join(repoRoot, 'eslint.n8n.config.mjs'), join(dir, 'eslint.config.mjs'));
  await cp(join(repoRoot, 'credentials'), join(dir, 'credentials'), { recursive: true });
  await cp(join(repoRoot, 'nodes'), join(dir, 'nodes'), {
    recursive: true,
    filter: (src) => !src.includes(`${join('nodes', 'node-red')}`),
  });
  const modules = join(dir, 'node_modules');
  await mkdir(modules);
  const linked = new Set<string>();
  // The linter's install first (eslint, its plugins, @n8n/node-cli), then the package's own
  // dependencies it does not have (undici, jose, n8n-workflow types) for import resolution.
  for (const source of [join(LINT, 'node_modules'), join(repoRoot, 'node_modules')]) {
    for (const entry of await readdir(source)) {
      if (linked.has(entry)) continue;
      linked.add(entry);
      await symlink(join(source, entry), join(modules, entry));
    }
  }
  return dir;
}

async function lint(dir: string): Promise<{ code: number; output: string }> {
  const env = {
    ...process.env,
    PATH: `${join(repoRoot, 'node_modules', '.bin')}:${process.env.PATH}`,
    FORCE_COLOR: '0',
    NODE_ENV: 'production',
  };
  // (jest's NODE_ENV=test switches n8n's rule plugin into its own self-test mode.)
  try {
    const { stdout, stderr } = await run(process.execPath, [join(LINT, 'node_modules', '.bin', 'n8n-node'), 'lint'], {
      cwd: dir,
      env,
      maxBuffer: 16 * 1024 * 1024,
    });
    return { code: 0, output: stdout + stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : 1, output: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

/** ESLint's problem lines ("12:3  error  message  rule"), colour codes removed. */
function problems(output: string): string[] {
  // eslint-disable-next-line no-control-regex -- ANSI colour codes start with ESC
  const plain = output.replace(/\x1b\[[0-9;]*m/g, '');
  return plain.split('\n').filter((line) => /^\s*\d+:\d+\s+(error|warning)\s/.test(line));
}

let dir: string;

beforeAll(async () => {
  dir = await lintableCopy();
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

test('n8n-node lint reports no problem on the package', async () => {
  const { code, output } = await lint(dir);
  expect(problems(output)).toEqual([]);
  expect(code).toBe(0);
});

test('the same lint run catches a node without an icon (the rules really run)', async () => {
  const nodeFile = join(dir, 'nodes', 'EoRequest', 'EoRequest.node.ts');
  const source = await readFile(nodeFile, 'utf8');
  await writeFile(nodeFile, source.replace(/^\s*icon: .*\n/m, ''));
  try {
    const { code, output } = await lint(dir);
    expect(code).not.toBe(0);
    expect(problems(output).join('\n')).toMatch(/icon-validation/);
  } finally {
    await writeFile(nodeFile, source);
  }
});
