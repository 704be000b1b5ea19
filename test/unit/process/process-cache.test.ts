/**
 * What is read once per process (keyed by PID and start time) must not hide a change: an exec
 * with a new command line, a PID reused by another process, a process moved to another cgroup,
 * and a group whose last process exits all show on the next scrape. Both collectors run on one
 * HostFs, so they share the process listing as in the exporter. The tree is a copied /proc (a
 * real PID cannot be made to be reused on demand); test/system/process-cache.test.ts does the
 * exec with a real process.
 */
import { copyFile, cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import test, { type ExecutionContext } from 'ava';
import { cgroupCollector } from '../../../src/collector/cgroup.js';
import { NodeCollector } from '../../../src/collector/node-collector.js';
import { processGroupsCollector } from '../../../src/collector/process_groups.js';
import { parseFlags } from '../../../src/cli/flags.js';
import { parseConfig } from '../../../src/config/load.js';
import { ConfigStore } from '../../../src/config/store.js';
import { writeText } from '../../../src/exposition/text.js';
import { HostFs } from '../../../src/hostfs/host-fs.js';
import { HostPaths } from '../../../src/hostfs/paths.js';
import { createLogger } from '../../../src/lib/log.js';
import { ProcessTable } from '../../../src/process/table.js';
import { fixture } from '../../helpers/collect.js';
import { groupNames, removeProcess, writeProcess } from '../../helpers/process-groups.js';

/** Groups by the first word of the command line, so that an exec with a new one moves the process. */
const CONFIG = `process_names:
  - name: "{{.Matches.prog}}"
    cmdline: ['^(?P<prog>\\S+)']
`;

async function setUp(t: ExecutionContext) {
  const root = await mkdtemp(path.join(os.tmpdir(), 'process-cache-'));
  t.teardown(() => rm(root, { recursive: true, force: true }));
  // cgroup v2 with nginx.service and sidecar.service; its /proc is replaced by ours.
  await cp(fixture('cgroup', 'v2', 'sys'), path.join(root, 'sys'), { recursive: true });
  const procfs = path.join(root, 'proc');
  await mkdir(procfs);
  await copyFile(fixture('process_groups', 'base', 'proc', 'stat'), path.join(procfs, 'stat'));
  const host = new HostFs(new HostPaths(procfs, path.join(root, 'sys'), '/'));
  const logs: string[] = [];
  const log = createLogger('debug', 'logfmt', (line) => logs.push(line));
  const config = ConfigStore.of(parseConfig(CONFIG, 'test.yml'));
  const factories = [processGroupsCollector, cgroupCollector];
  const collectors = new Map(factories.map((f) => [f.name, f.create({ host, flags: parseFlags(f.flags ?? [], []), log, config })]));
  const node = new NodeCollector(collectors, log);
  t.teardown(async () => {
    await Promise.allSettled([...collectors.values()].map(async (c) => c.close?.()));
    host.close();
  });
  return {
    procfs,
    host,
    async scrape(): Promise<string> {
      const text = writeText(await node.collect(5000));
      for (const name of ['process_groups', 'cgroup']) {
        t.true(text.includes(`node_scrape_collector_success{collector="${name}"} 1`), `${name} succeeded:\n${logs.join('\n')}`);
      }
      return text;
    },
  };
}

const procs = (text: string, group: string) => {
  const m = new RegExp(`^namedprocess_namegroup_num_procs\\{groupname="${group}"\\} (\\S+)$`, 'm').exec(text);
  return m ? Number(m[1]) : undefined;
};
const cgroupIds = (text: string) => [...new Set([...text.matchAll(/^container_memory_usage_bytes\{id="([^"]*)"\}/gm)].map((m) => m[1]))].sort();

async function putCgroup(procfs: string, pid: number, cgroup: string): Promise<void> {
  await writeFile(path.join(procfs, String(pid), 'cgroup'), `0::${cgroup}\n`);
}

test('an exec with a new command line moves the process to its new group at the next scrape', async (t) => {
  const s = await setUp(t);
  await writeProcess(s.procfs, { pid: 100, comm: 'sh', start: 500, cmdline: ['/bin/sh', '-c', 'exec nginx'] });
  await putCgroup(s.procfs, 100, '/system.slice/nginx.service');
  const before = await s.scrape();
  t.deepEqual(groupNames(before), ['/bin/sh']);

  // Same PID and start time: only comm and the command line change, as after execve(2).
  await writeProcess(s.procfs, { pid: 100, comm: 'nginx', start: 500, cmdline: ['nginx', '-g', 'daemon off;'] });
  await putCgroup(s.procfs, 100, '/system.slice/nginx.service');
  const after = await s.scrape();
  t.deepEqual(groupNames(after), ['nginx']);
  t.is(procs(after, 'nginx'), 1);
});

test('a PID reused by a new process is matched afresh, even with the same comm', async (t) => {
  const s = await setUp(t);
  await writeProcess(s.procfs, { pid: 100, comm: 'worker', start: 500, cmdline: ['alpha', 'job'], utime: 400 });
  await putCgroup(s.procfs, 100, '/system.slice/nginx.service');
  await s.scrape();
  const first = await s.scrape();
  t.deepEqual(groupNames(first), ['alpha']);
  t.deepEqual(cgroupIds(first), ['/system.slice/nginx.service']);

  // The first process exited and a new one got its PID: same comm, later start, other command line and cgroup.
  await removeProcess(s.procfs, 100);
  await writeProcess(s.procfs, { pid: 100, comm: 'worker', start: 900, cmdline: ['beta', 'job'], utime: 7 });
  await putCgroup(s.procfs, 100, '/system.slice/sidecar.service');
  const second = await s.scrape();
  t.deepEqual(groupNames(second), ['beta']);
  t.deepEqual(cgroupIds(second), ['/system.slice/sidecar.service']);
  // The new process started after the first scrape: it counts from its start, not from alpha's 4 s.
  t.regex(second, /^namedprocess_namegroup_cpu_seconds_total\{groupname="beta",mode="user"\} 0\.07$/m);
});

test('a process moved to another cgroup is reported in its new cgroup at the next scrape', async (t) => {
  const s = await setUp(t);
  await writeProcess(s.procfs, { pid: 100, comm: 'nginx', start: 500, cmdline: ['nginx'] });
  await putCgroup(s.procfs, 100, '/system.slice/nginx.service');
  t.deepEqual(cgroupIds(await s.scrape()), ['/system.slice/nginx.service']);
  await putCgroup(s.procfs, 100, '/system.slice/sidecar.service');
  t.deepEqual(cgroupIds(await s.scrape()), ['/system.slice/sidecar.service']);
});

test('a group whose last process exits is gone at the next scrape; kernel threads are never reported', async (t) => {
  const s = await setUp(t);
  await writeProcess(s.procfs, { pid: 2, comm: 'kthreadd', start: 0, ppid: 0, cmdline: [] });
  await putCgroup(s.procfs, 2, '/');
  await writeProcess(s.procfs, { pid: 100, comm: 'nginx', start: 500, cmdline: ['nginx'] });
  await putCgroup(s.procfs, 100, '/system.slice/nginx.service');
  await writeProcess(s.procfs, { pid: 101, comm: 'nginx', start: 501, cmdline: ['nginx'] });
  await putCgroup(s.procfs, 101, '/system.slice/nginx.service');
  await writeProcess(s.procfs, { pid: 200, comm: 'node', start: 600, cmdline: ['sidecar'] });
  await putCgroup(s.procfs, 200, '/system.slice/sidecar.service');
  const all = await s.scrape();
  t.deepEqual(groupNames(all), ['nginx', 'sidecar']);
  t.is(procs(all, 'nginx'), 2);
  t.deepEqual(cgroupIds(all), ['/system.slice/nginx.service', '/system.slice/sidecar.service']);

  await removeProcess(s.procfs, 101);
  const one = await s.scrape();
  t.is(procs(one, 'nginx'), 1);

  await removeProcess(s.procfs, 100);
  const none = await s.scrape();
  t.deepEqual(groupNames(none), ['sidecar']);
  t.false(none.includes('groupname="nginx"'));
  t.deepEqual(cgroupIds(none), ['/system.slice/sidecar.service']);
  t.false(none.includes('id="/"'));
});

test('the collectors of one scrape share one listing of /proc', async (t) => {
  const s = await setUp(t);
  await writeProcess(s.procfs, { pid: 100, comm: 'nginx', start: 500, cmdline: ['nginx'] });
  await putCgroup(s.procfs, 100, '/system.slice/nginx.service');
  const table = ProcessTable.of(s.host);
  t.is(ProcessTable.of(s.host), table);
  const signal = new AbortController().signal;
  const [a, b] = await Promise.all([table.list(signal), table.list(signal)]);
  t.is(a, b, 'a listing asked for while one is read is that one');
  const c = await table.list(signal);
  t.not(c, a, 'a later listing reads /proc again');
});
