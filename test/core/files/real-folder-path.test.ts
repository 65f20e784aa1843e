/**
 * `realFolderPath`: the path an engine compares with the folders it allows writing to. It must see
 * through links in the part of the folder that exists (a link inside an allowed folder may lead
 * anywhere), keep the part still to be created, and refuse an empty folder naming the field.
 */
import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { realFolderPath } from '../../../nodes/core';
import { expectEoError } from '../../support/fixtures';

let root: string;

beforeAll(() => {
  root = realpathSync(mkdtempSync(path.join(tmpdir(), 'eo-real-folder-')));
  mkdirSync(path.join(root, 'allowed'));
  mkdirSync(path.join(root, 'elsewhere'));
  symlinkSync(path.join(root, 'elsewhere'), path.join(root, 'allowed', 'link'));
});

afterAll(() => rmSync(root, { recursive: true, force: true }));

test('an existing folder is itself', async () => {
  expect(await realFolderPath(path.join(root, 'allowed'))).toBe(path.join(root, 'allowed'));
});

test('folders still to be created are appended to the real path of what exists', async () => {
  expect(await realFolderPath(path.join(root, 'allowed', 'new', 'deeper'))).toBe(path.join(root, 'allowed', 'new', 'deeper'));
});

test('a link on the way is followed, also below it where nothing exists yet', async () => {
  expect(await realFolderPath(path.join(root, 'allowed', 'link'))).toBe(path.join(root, 'elsewhere'));
  expect(await realFolderPath(path.join(root, 'allowed', 'link', 'new'))).toBe(path.join(root, 'elsewhere', 'new'));
  // ".." is taken away before any link is followed, as the writers resolve the folder they write to.
  expect(await realFolderPath(`${root}/allowed/link/../x`)).toBe(path.join(root, 'allowed', 'x'));
});

test('a relative folder counts from the working directory', async () => {
  expect(await realFolderPath('eo-not-there/sub')).toBe(path.join(realpathSync(process.cwd()), 'eo-not-there', 'sub'));
});

test('an empty folder is refused, naming the field', async () => {
  const err = await expectEoError(realFolderPath('  '), 'EO_INVALID_CONFIG');
  expect(err.field).toBe('directory');
});
