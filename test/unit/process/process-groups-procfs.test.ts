/** The /proc/<pid> parsers process groups use: stat (detail), status, io, limits, cmdline. */
import test from 'ava';
import { parsePidCmdline } from '../../../src/procfs/pid-cmdline.js';
import { parsePidIo } from '../../../src/procfs/pid-io.js';
import { parseOpenFilesSoftLimit, parsePidLimits } from '../../../src/procfs/pid-limits.js';
import { parsePidStat, parsePidStatDetail } from '../../../src/procfs/pid-stat.js';
import { parsePidStatus } from '../../../src/procfs/pid-status.js';
import { parsePasswd } from '../../../src/process/users.js';

const STAT =
  '4321 (my (odd) name) R 77 4321 4321 0 -1 4194560 1523 9 12 3 4500 301 7 8 20 0 5 0 123456 23781376 2899 18446744073709551615 1 1 0 0 0 0 0 4096 17475 0 0 0 17 0 0 0 0 0 0\n';

test('parsePidStatDetail reads the fields process groups use, after the last ")"', (t) => {
  t.deepEqual(parsePidStatDetail(STAT), {
    pid: 4321,
    comm: 'my (odd) name',
    state: 'R',
    ppid: 77,
    minorFaults: 1523,
    majorFaults: 12,
    utimeTicks: 4500,
    stimeTicks: 301,
    numThreads: 5,
    startTicks: 123456,
    virtualBytes: 23781376,
    rssPages: 2899,
  });
  // The short form for the processes collector is unchanged.
  t.deepEqual(parsePidStat(STAT), { state: 'R', numThreads: 5 });
});

test('parsePidStatDetail: a comm with spaces, an empty comm, a kernel thread', (t) => {
  t.is(parsePidStatDetail(STAT.replace('my (odd) name', 'Web Content')).comm, 'Web Content');
  t.is(parsePidStatDetail(STAT.replace('my (odd) name', '')).comm, '');
  const kthread = parsePidStatDetail('2 (kthreadd) S 0 0 0 0 -1 2129984 0 0 0 0 0 3 0 0 20 0 1 0 2 0 0 18446744073709551615 0 0 0\n');
  t.like(kthread, { ppid: 0, virtualBytes: 0, rssPages: 0, startTicks: 2 });
});

test('parsePidStatDetail rejects truncated lines, non-numeric fields and empty input', (t) => {
  // Up to num_threads is enough for parsePidStat, not for the detail (needs rss, the 24th field).
  const upToThreads = '1 (init) S 0 1 1 0 -1 4194560 1523 0 12 0 45 30 0 0 20 0 1\n';
  t.notThrows(() => parsePidStat(upToThreads));
  t.throws(() => parsePidStatDetail(upToThreads), { message: /18 fields after comm, expected at least 22/ });
  t.throws(() => parsePidStatDetail(STAT.replace(' 4500 ', ' 45x0 ')), { message: /utime: expected an unsigned integer, got "45x0"/ });
  t.throws(() => parsePidStatDetail(STAT.replace('4321 (', 'x (')), { message: /pid: expected an unsigned integer/ });
  t.throws(() => parsePidStatDetail(''), { message: /no "\(comm\)"/ });
});

const STATUS = [
  'Name:\tnginx',
  'Umask:\t0022',
  'State:\tS (sleeping)',
  'Uid:\t1000\t33\t33\t33',
  'Gid:\t33\t33\t33\t33',
  'Groups:\t',
  'VmRSS:\t    9000 kB',
  'VmSwap:\t     120 kB',
  'Threads:\t1',
  'voluntary_ctxt_switches:\t523',
  'nonvoluntary_ctxt_switches:\t17',
  '',
].join('\n');

test('parsePidStatus: effective uid, swap in bytes, context switches', (t) => {
  t.deepEqual(parsePidStatus(STATUS), { effectiveUid: 33, swapBytes: 120 * 1024, voluntaryCtxtSwitches: 523, nonvoluntaryCtxtSwitches: 17 });
  // A kernel thread or zombie has no Vm lines; kernels before 2.6.23 no context switches.
  t.deepEqual(parsePidStatus('Name:\tkthreadd\nUid:\t0\t0\t0\t0\n'), { effectiveUid: 0 });
});

test('parsePidStatus rejects bad values of the keys it uses, and an empty file', (t) => {
  t.throws(() => parsePidStatus(STATUS.replace('Uid:\t1000\t33\t33\t33', 'Uid:\t1000\t33')), { message: /Uid: expected 4 ids/ });
  t.throws(() => parsePidStatus(STATUS.replace('120 kB', '120 MB')), { message: /VmSwap: expected "<number> kB"/ });
  t.throws(() => parsePidStatus(STATUS.replace('\t523', '\tmany')), { message: /voluntary_ctxt_switches: expected an unsigned integer, got "many"/ });
  t.throws(() => parsePidStatus('no colon here\n'), { message: /expected "Key: value"/ });
  t.throws(() => parsePidStatus(''), { message: /empty status file/ });
});

test('parsePidIo: read_bytes and write_bytes (not rchar/wchar), both required', (t) => {
  const io = 'rchar: 7000\nwchar: 300\nsyscr: 10\nsyscw: 3\nread_bytes: 4096\nwrite_bytes: 8192\ncancelled_write_bytes: 0\n';
  t.deepEqual(parsePidIo(io), { readBytes: 4096, writeBytes: 8192 });
  t.throws(() => parsePidIo('rchar: 7000\nwchar: 300\n'), { message: /no read_bytes line/ });
  t.throws(() => parsePidIo(io.replace('8192', '-1')), { message: /write_bytes: expected an unsigned integer, got "-1"/ });
  t.throws(() => parsePidIo('read_bytes 4096\n'), { message: /expected "key: value"/ });
  t.throws(() => parsePidIo(''), { message: /no read_bytes line/ });
});

const LIMITS = [
  'Limit                     Soft Limit           Hard Limit           Units     ',
  'Max cpu time              unlimited            unlimited            seconds   ',
  'Max stack size            8388608              unlimited            bytes     ',
  'Max open files            1024                 524288               files     ',
  'Max nice priority         0                    0                    ',
  'Max realtime timeout      unlimited            unlimited            us        ',
  '',
].join('\n');

test('parsePidLimits: soft and hard per row, unlimited as Infinity, rows without units', (t) => {
  const limits = parsePidLimits(LIMITS);
  t.deepEqual(limits.get('Max open files'), { soft: 1024, hard: 524288 });
  t.deepEqual(limits.get('Max cpu time'), { soft: Infinity, hard: Infinity });
  t.deepEqual(limits.get('Max nice priority'), { soft: 0, hard: 0 });
  t.is(limits.size, 5);
  t.is(parseOpenFilesSoftLimit(LIMITS), 1024);
  t.is(parseOpenFilesSoftLimit(LIMITS.replace('1024                 524288', 'unlimited            unlimited')), Infinity);
});

test('parsePidLimits rejects a missing header, odd rows; the fd limit needs its row', (t) => {
  t.throws(() => parsePidLimits(''), { message: /header/ });
  t.throws(() => parsePidLimits(LIMITS.replace('Max stack size            8388608', 'Max stack size            lots')), { message: /unexpected limits row/ });
  t.throws(() => parseOpenFilesSoftLimit(LIMITS.split('\n').filter((l) => !l.startsWith('Max open files')).join('\n')), {
    message: /no "Max open files" row/,
  });
});

test('parsePidCmdline: NUL-separated argv; empty for kernel threads; a rewritten title is one argument', (t) => {
  t.deepEqual(parsePidCmdline('/usr/bin/python3\x00app.py\x00--port\x008080\x00'), ['/usr/bin/python3', 'app.py', '--port', '8080']);
  t.deepEqual(parsePidCmdline(''), []);
  t.deepEqual(parsePidCmdline('nginx: worker process\0\0\0'), ['nginx: worker process']);
  t.deepEqual(parsePidCmdline('sh\0\0-c\0'), ['sh', '', '-c']);
});

test('parsePasswd maps uids to the first name, skipping comments and broken lines', (t) => {
  const names = parsePasswd('root:x:0:0::/root:/bin/sh\n# x:x:5\nbroken\nwww-data:x:33:33::/:/bin/false\ntoor:x:0:0::/:/bin/sh\nbad:x:uid:1\n');
  t.deepEqual([...names], [
    [0, 'root'],
    [33, 'www-data'],
  ]);
});
