import test from 'ava';
import { decodeMountEscapes, parseMountinfo, parseMountinfoLine } from '../../../src/procfs/mountinfo.js';
import { goErrnoText } from '../../../src/gocompat/errno.js';

test('parseMountinfoLine reads every field, with optional fields before "-"', (t) => {
  const m = parseMountinfoLine('36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 shared:7 - ext3 /dev/root rw,errors=continue');
  t.deepEqual(m, {
    mountId: 36,
    parentId: 35,
    major: 98,
    minor: 0,
    root: '/mnt1',
    mountPoint: '/mnt2',
    options: ['rw', 'noatime'],
    optionalFields: ['master:1', 'shared:7'],
    fsType: 'ext3',
    source: '/dev/root',
    superOptions: ['rw', 'errors=continue'],
  });
});

test('parseMountinfoLine takes lines without optional fields (private mounts, old kernels)', (t) => {
  const m = parseMountinfoLine('22 1 8:1 / / rw,relatime - ext4 /dev/sda1 rw');
  t.deepEqual(m.optionalFields, []);
  t.is(m.fsType, 'ext4');
  t.is(m.source, '/dev/sda1');
  t.deepEqual(m.superOptions, ['rw']);
});

test('parseMountinfoLine keeps an empty source as ""', (t) => {
  const m = parseMountinfoLine('50 22 0:60 / /mnt/x rw - fuse.sshfs  rw,user_id=0');
  t.is(m.source, '');
  t.is(m.fsType, 'fuse.sshfs');
});

test('octal escapes for space, tab, newline and backslash are decoded in paths, source and type', (t) => {
  const m = parseMountinfoLine('40 22 8:33 /a\\134b /media/usb\\040stick/tab\\011nl\\012end rw - vfat //srv/share\\040x rw');
  t.is(m.root, '/a\\b');
  t.is(m.mountPoint, '/media/usb stick/tab\tnl\nend');
  t.is(m.source, '//srv/share x');
  t.is(decodeMountEscapes('plain'), 'plain');
  t.is(decodeMountEscapes('a\\134040b'), 'a\\040b', 'a decoded backslash is not decoded again');
  t.is(decodeMountEscapes('a\\9zz'), 'a\\9zz', 'a backslash without three octal digits stays');
});

test('parseMountinfo reads every line and skips the trailing newline', (t) => {
  const mounts = parseMountinfo(
    '22 1 8:1 / / rw shared:1 - ext4 /dev/sda1 rw\n23 22 0:21 / /proc rw shared:12 - proc proc rw\n',
  );
  t.deepEqual(
    mounts.map((m) => [m.mountPoint, m.fsType]),
    [
      ['/', 'ext4'],
      ['/proc', 'proc'],
    ],
  );
  t.deepEqual(parseMountinfo(''), []);
});

test('malformed mountinfo lines fail with the line number and the reason', (t) => {
  const good = '22 1 8:1 / / rw - ext4 /dev/sda1 rw\n';
  // Super options missing.
  t.throws(() => parseMountinfo(good + '23 22 0:21 / /proc rw - proc proc\n'), { message: /^line 2: expected at least 10 fields, got 9$/ });
  t.throws(() => parseMountinfo(good + '23 22 0:21 / /proc rw shared:1 proc proc rw x\n'), {
    message: /^line 2: no "-" separator/,
  });
  t.throws(() => parseMountinfo('23 22 0:21 / /proc rw - proc proc rw extra\n'), {
    message: /^line 1: expected 3 fields after "-" \(type, source, super options\), got 4$/,
  });
  t.throws(() => parseMountinfo('x 22 0:21 / /proc rw - proc proc rw\n'), { message: /^line 1: mount ID: expected an unsigned integer, got "x"$/ });
  t.throws(() => parseMountinfo('23 22 0-21 / /proc rw - proc proc rw\n'), { message: /^line 1: major:minor: expected two numbers/ });
  t.throws(() => parseMountinfo('23 22 0:z / /proc rw - proc proc rw\n'), { message: /^line 1: minor: expected an unsigned integer, got "z"$/ });
  // A line cut short in the middle (a truncated read).
  t.throws(() => parseMountinfo(good + '24 22 0:22 / /sys rw,nosu'), { message: /^line 2: expected at least 10 fields/ });
});

test('goErrnoText gives Go\'s syscall.Errno text for the errors statfs returns', (t) => {
  t.is(goErrnoText('EACCES', -13, 'EACCES: permission denied, statfs \'/x\''), 'permission denied');
  t.is(goErrnoText('ENOENT', -2, ''), 'no such file or directory');
  t.is(goErrnoText('ENOTDIR', -20, ''), 'not a directory');
  t.is(goErrnoText('ELOOP', -40, ''), 'too many levels of symbolic links');
  t.is(goErrnoText('EIO', -5, ''), 'input/output error');
  t.is(goErrnoText('ENOTCONN', -107, ''), 'transport endpoint is not connected');
  t.is(goErrnoText('ESTALE', -116, ''), 'stale file handle');
  t.is(goErrnoText('EOVERFLOW', -75, ''), 'value too large for defined data type');
  // Unknown to the table: Go prints "errno N".
  t.is(goErrnoText('EWHATEVER', -200, 'x'), 'errno 200');
  t.is(goErrnoText(undefined, undefined, 'worker said no'), 'worker said no');
});
