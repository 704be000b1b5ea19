/**
 * The cgroup collector on this machine, whatever hierarchy it has (v1, v2 or hybrid): the test
 * process's own cgroup must be reported, with its memory usage and limit. The expected id and
 * limit are worked out here from /proc/self/cgroup and the limit file, independently of src/cgroup.
 */
import test from 'ava';
import { existsSync, readFileSync } from 'node:fs';
import { cgroupCollector } from '../../src/collector/cgroup.js';
import { collect, valueOf } from '../helpers/collect.js';

const CGROUP_ROOT = '/sys/fs/cgroup';

/** Our memory cgroup: the v2 path in unified mode, else the v1 memory hierarchy's path. */
function ownMemoryCgroup(): { id: string; limitFile: string } | undefined {
  const lines = readFileSync('/proc/self/cgroup', 'utf8').trim().split('\n');
  const pathOf = (line: string) => line.split(':').slice(2).join(':');
  if (existsSync(`${CGROUP_ROOT}/cgroup.controllers`)) {
    const unified = lines.find((l) => l.startsWith('0::'));
    return unified ? { id: pathOf(unified), limitFile: `${CGROUP_ROOT}${pathOf(unified)}/memory.max` } : undefined;
  }
  const memory = lines.find((l) => l.split(':')[1]?.split(',').includes('memory'));
  if (!memory) return undefined;
  const id = pathOf(memory);
  return { id, limitFile: `${CGROUP_ROOT}/memory${id === '/' ? '' : id}/memory.limit_in_bytes` };
}

/** A regex matching exactly our own command line, so only our cgroups are reported. */
function ownCommandLineRegex(): string {
  const cmdline = readFileSync('/proc/self/cmdline', 'utf8').replace(/\0$/, '').replaceAll('\0', ' ');
  return `^${cmdline.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`;
}

const own = existsSync(CGROUP_ROOT) ? ownMemoryCgroup() : undefined;

(own ? test : test.skip)('the live machine: our own cgroup with its memory usage and limit', async (t) => {
  const { id, limitFile } = own as NonNullable<typeof own>;
  const r = await collect(['cgroup'], ['--collector.cgroup.pid-match', ownCommandLineRegex()], [cgroupCollector]);
  t.is(r.success['cgroup'], 1, r.logs.join('\n'));
  const series = (name: string) => valueOf(r.text, `${name}{id="${id}"}`);

  const usage = series('container_memory_usage_bytes');
  t.true(usage !== undefined && usage > 1024 * 1024, `memory usage of ${id}: ${usage}`);
  const workingSet = series('container_memory_working_set_bytes') as number;
  t.true(workingSet >= 0 && workingSet <= (usage as number));

  // The limit, read here from the file: "max" and the kernel's rounded 2^63 both mean none, exported as 0.
  const raw = readFileSync(limitFile, 'utf8').trim();
  const expected = raw === 'max' || Number(raw) > 2 ** 62 ? 0 : Number(raw);
  t.is(series('container_spec_memory_limit_bytes'), expected);

  t.log({ id, usage, workingSet, limit: raw });
  const processes = series('container_processes');
  t.true(processes !== undefined && processes >= 1);
  t.regex(r.text, /^container_cpu_usage_seconds_total\{cpu="total",id="[^"]*"\} \d/m);
});
