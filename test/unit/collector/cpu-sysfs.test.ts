import test from 'ava';
import { parseCpuList } from '../../../src/sysfs/cpulist.js';
import { collect, fixture } from '../../helpers/collect.js';

test('parseCpuList expands ranges and rejects malformed lists', (t) => {
  t.deepEqual(parseCpuList('0-2,5,7-8\n'), [0, 1, 2, 5, 7, 8]);
  t.deepEqual(parseCpuList('\n'), []);
  t.throws(() => parseCpuList('3-1'), { message: /bad CPU range "3-1"/ });
  t.throws(() => parseCpuList('1-2-3'), { message: /bad CPU range/ });
  t.throws(() => parseCpuList('a'), { message: /expected an unsigned integer/ });
});

test('cpu collector adds isolated CPUs and thermal throttles from sysfs, one per core and package', async (t) => {
  const r = await collect(['cpu'], ['--path.procfs', fixture('cpu/modern'), '--path.sysfs', fixture('cpu-sysfs/sys')]);
  t.is(r.success['cpu'], 1);
  const lines = r.text.split('\n');
  t.deepEqual(lines.filter((l) => l.startsWith('node_cpu_isolated')), [
    'node_cpu_isolated{cpu="1"} 1',
    'node_cpu_isolated{cpu="3"} 1',
    'node_cpu_isolated{cpu="4"} 1',
  ]);
  // cpu0/cpu1 are package 0 cores 0/1, cpu2/cpu3 package 1 cores 0/1; cpu4 lacks a package id.
  t.deepEqual(lines.filter((l) => l.startsWith('node_cpu_core_throttles_total')), [
    'node_cpu_core_throttles_total{core="0",package="0"} 5',
    'node_cpu_core_throttles_total{core="0",package="1"} 25',
    'node_cpu_core_throttles_total{core="1",package="0"} 15',
    'node_cpu_core_throttles_total{core="1",package="1"} 35',
  ]);
  // Package 1's counter is read from the first of its CPUs that has one (cpu3).
  t.deepEqual(lines.filter((l) => l.startsWith('node_cpu_package_throttles_total')), [
    'node_cpu_package_throttles_total{package="0"} 7',
    'node_cpu_package_throttles_total{package="1"} 9',
  ]);
  t.regex(r.text, /# HELP node_cpu_isolated Whether each core is isolated, information from \/sys\/devices\/system\/cpu\/isolated\.\n# TYPE node_cpu_isolated gauge/);
});

test('a malformed isolated list fails the cpu collector after its /proc/stat series', async (t) => {
  const r = await collect(['cpu'], ['--path.procfs', fixture('cpu/modern'), '--path.sysfs', fixture('cpu-sysfs-bad/sys')]);
  t.is(r.success['cpu'], 0);
  t.regex(r.text, /node_cpu_seconds_total\{cpu="0",mode="idle"\}/);
  t.true(r.logs.some((l) => l.includes('bad CPU range')));
});
