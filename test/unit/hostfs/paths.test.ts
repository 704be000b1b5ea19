/**
 * HostPaths builds paths by concatenation where the parts are clean (src/hostfs/paths.ts): the
 * result must be exactly path.join's, for every root and part shape, clean or not.
 */
import test from 'ava';
import path from 'node:path';
import { HostPaths, joinPath } from '../../../src/hostfs/paths.js';

const ROOTS = ['/', '/proc', '/proc/', '//proc//', '/host/proc', 'proc', './proc', '../proc', '.', './', '', '/a/./b', '/a/../b', 'fixtures/x/'];
const PARTS: string[][] = [
  [],
  ['1'],
  ['1', 'stat'],
  ['1', 'task', '1', 'stat'],
  ['sys/kernel', 'pid_max'],
  ['net', 'dev'],
  ['/mnt/data'],
  ['mnt/data/'],
  [''],
  ['', 'x'],
  ['.'],
  ['..', 'x'],
  ['a/../b'],
  ['a/./b'],
  ['a//b'],
  ['...', '.x', 'x.', '..x'],
  ['with space', 'ü'],
  ['self', 'mountinfo'],
];

test('proc, sys and root give exactly what path.join gives', (t) => {
  for (const root of ROOTS) {
    const paths = new HostPaths(root, root, root);
    for (const parts of PARTS) {
      const want = path.join(root, ...parts);
      t.is(paths.proc(...parts), want, `proc(${JSON.stringify(parts)}) under ${JSON.stringify(root)}`);
      t.is(paths.sys(...parts), want);
      t.is(paths.root(...parts), want);
      t.is(joinPath(root, ...parts), want, `joinPath(${JSON.stringify([root, ...parts])})`);
    }
  }
});

test('stripRootfs gives the host\'s mountpoint', (t) => {
  const paths = new HostPaths('/proc', '/sys', '/host/');
  t.is(paths.stripRootfs('/host'), '/');
  t.is(paths.stripRootfs('/host/data'), '/data');
  t.is(paths.stripRootfs('/hostile'), '/hostile');
  t.is(new HostPaths().stripRootfs('/data'), '/data');
});
