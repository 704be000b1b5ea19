import { readFileSync } from 'node:fs';
import test from 'ava';
import { parseStat } from '../../../src/procfs/stat.js';
import { fixture } from '../../helpers/collect.js';

const read = (...parts: string[]): string => readFileSync(fixture(...parts), 'utf8');

test('parseStat reads a modern /proc/stat: per-CPU lines in seconds, the aggregate apart', (t) => {
  const stat = parseStat(read('cpu', 'modern', 'stat'));
  t.deepEqual([...stat.cpus.keys()], [0, 1, 10]);
  t.deepEqual(stat.cpus.get(0), {
    user: 640.12,
    nice: 3,
    system: 240.2,
    idle: 49367.11,
    iowait: 26.5,
    irq: 0,
    softirq: 10.03,
    steal: 3.21,
    guest: 7,
    guestNice: 0.25,
  });
  t.is(stat.cpus.get(10)?.guestNice, 0.12);
  t.is(stat.cpuTotal?.user, 1278.45);
  t.is(stat.cpuTotal?.idle, 98754.12);
  t.is(stat.interrupts, 30422871);
  t.is(stat.contextSwitches, 61902334);
  t.is(stat.bootTime, 1735000000);
  t.is(stat.forks, 408113);
  t.is(stat.procsRunning, 3);
  t.is(stat.procsBlocked, 1);
  t.is(stat.softirqTotal, 9832140);
  t.deepEqual(stat.softirqs, {
    hi: 4,
    timer: 2911002,
    net_tx: 1203,
    net_rx: 884310,
    block: 120455,
    block_iopoll: 0,
    tasklet: 97,
    sched: 2650012,
    hrtimer: 0,
    rcu: 3166057,
  });
});

test('parseStat fills the columns older kernels do not print with 0', (t) => {
  const stat = parseStat(read('cpu', 'old-kernels', 'stat'));
  // 2.4: user nice system idle only.
  t.deepEqual(stat.cpus.get(0), { user: 1.5, nice: 0.2, system: 3, idle: 400, iowait: 0, irq: 0, softirq: 0, steal: 0, guest: 0, guestNice: 0 });
  // 2.6 before steal (7 columns), 2.6.11 (8, steal), 2.6.24 (9, guest).
  t.is(stat.cpus.get(1)?.softirq, 0.7);
  t.is(stat.cpus.get(1)?.steal, 0);
  t.is(stat.cpus.get(2)?.steal, 0.8);
  t.is(stat.cpus.get(2)?.guest, 0);
  t.is(stat.cpus.get(3)?.guest, 0.9);
  t.is(stat.cpus.get(3)?.guestNice, 0);
  // No procs_* or softirq lines on these kernels: absent, not 0.
  t.is(stat.procsRunning, undefined);
  t.is(stat.procsBlocked, undefined);
  t.is(stat.softirqs, undefined);
  t.is(stat.bootTime, 1104537600);
});

test('parseStat ignores unknown lines and columns past the tenth, and accepts float columns', (t) => {
  const stat = parseStat('page 1 2\ncpu3 100 0 0 0 0 0 0 0 0 0 999 x\ncpu007 2.5 3e2 0 0\n\n  ctxt   42  \n');
  t.deepEqual([...stat.cpus.keys()], [3, 7]);
  t.is(stat.cpus.get(3)?.user, 1);
  t.is(stat.cpus.get(3)?.guestNice, 0);
  t.is(stat.cpus.get(7)?.user, 0.025);
  t.is(stat.cpus.get(7)?.nice, 3);
  t.is(stat.contextSwitches, 42);
  t.is(stat.cpuTotal, undefined);
  t.is(stat.interrupts, undefined);
});

test('parseStat validates every per-IRQ count on the intr line but keeps only the total', (t) => {
  t.is(parseStat('intr 77 1 2 3\n').interrupts, 77);
  t.throws(() => parseStat(read('stat', 'bad-intr', 'stat')), { message: /intr2: expected an unsigned integer, got "n\/a"/ });
});

test('parseStat rejects malformed lines', (t) => {
  t.throws(() => parseStat(read('cpu', 'non-numeric', 'stat')), { message: /cpu0 system: expected a number, got "three"/ });
  t.throws(() => parseStat(read('cpu', 'bad-cpu-name', 'stat')), { message: /cpuX: cpu number: expected an unsigned integer, got "X"/ });
  t.throws(() => parseStat(read('cpu', 'truncated', 'stat')), { message: /line "cpu1" has no values/ });
  t.throws(() => parseStat('cpu0 1 2.5x 3\n'), { message: /cpu0 nice: expected a number/ });
  t.throws(() => parseStat(read('stat', 'bad-btime', 'stat')), { message: /btime: expected an unsigned integer, got "1733011200s"/ });
  t.throws(() => parseStat('procs_running -1\n'), { message: /procs_running: expected an unsigned integer/ });
  t.throws(() => parseStat(read('stat', 'truncated', 'stat')), { message: /line "btime" has no values/ });
  t.throws(() => parseStat(read('stat', 'short-softirq', 'stat')), { message: /softirq: expected 10 vectors after the total, got 4/ });
  t.throws(() => parseStat('softirq 10 1 2 3 4 5 6 7 8 9 x\n'), { message: /softirq rcu: expected an unsigned integer, got "x"/ });
});

test('parseStat rejects a file with no line it knows', (t) => {
  t.throws(() => parseStat(''), { message: /no cpu, intr, ctxt, btime/ });
  t.throws(() => parseStat('\n\npage 1 2\n'), { message: /no cpu, intr, ctxt, btime/ });
});
