/**
 * The process_groups collector on fixture /proc trees: values, grouping, the counters' history
 * as processes come and go, and what it does with files it cannot read.
 */
import { mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import test, { type ExecutionContext } from 'ava';
import { systemPageSize } from '../../../src/hostfs/page-size.js';
import { ConfigStore } from '../../../src/config/store.js';
import { HostFs } from '../../../src/hostfs/host-fs.js';
import { fixture, valueOf } from '../../helpers/collect.js';
import { copyFixture, groupLines, groupNames, groupsScraper, removeProcess, statLine, writeProcess } from '../../helpers/process-groups.js';

const BASE = fixture('process_groups', 'base', 'proc');
const BTIME = 1_700_000_000;

const v = (text: string, metric: string, labels: string) => valueOf(text, `namedprocess_namegroup_${metric}{${labels}}`);
const cpu = (text: string, group: string, mode: 'user' | 'system') => v(text, 'cpu_seconds_total', `groupname="${group}",mode="${mode}"`);
const one = (text: string, metric: string, group: string) => v(text, metric, `groupname="${group}"`);

/** A scraper over a copy of the base tree, removed when the test ends. */
async function scraperOnBase(t: ExecutionContext) {
  const tree = await copyFixture('base');
  t.teardown(tree.remove);
  return { tree, scraper: groupsScraper({ procfs: tree.procfs }) };
}

/** A scraper over a copy of the base tree, configured by a file that `reconfigure` rewrites and reloads. */
async function withConfigFile(t: ExecutionContext, yaml: string) {
  const tree = await copyFixture('base');
  t.teardown(tree.remove);
  const file = path.join(tree.root, 'config.yml');
  await writeFile(file, yaml);
  const store = await ConfigStore.open(file, new HostFs());
  const reconfigure = async (next: string) => {
    await writeFile(file, next);
    await store.reload();
  };
  return { tree, scraper: groupsScraper({ procfs: tree.procfs, config: store }), reconfigure };
}

test('with no config, processes with a command line are grouped by comm; kernel threads are left out', async (t) => {
  const r = await groupsScraper({ procfs: BASE }).scrape();
  t.is(r.success, 1);
  t.deepEqual(groupNames(r.text), ['nginx', 'python3', 'sh', 'sleep']);
  t.false(r.text.includes('kthreadd'));
});

test('a group sums its processes: memory, fds, threads, states, start time', async (t) => {
  const r = await groupsScraper({ procfs: BASE }).scrape();
  const page = await systemPageSize();
  const mem = (group: string, type: string) => v(r.text, 'memory_bytes', `groupname="${group}",memtype="${type}"`);
  const state = (group: string, s: string) => v(r.text, 'states', `groupname="${group}",state="${s}"`);
  t.is(one(r.text, 'num_procs', 'nginx'), 3);
  t.is(mem('nginx', 'resident'), (2000 + 3000 + 2500) * page);
  t.is(mem('nginx', 'virtual'), 152_000_000);
  t.is(mem('nginx', 'swapped'), 100 * 1024);
  t.is(one(r.text, 'open_filedesc', 'nginx'), 5 + 10 + 12);
  // pid 102: 12 open of a soft limit of 16 (the hard limit, 4096, is not what counts).
  t.is(one(r.text, 'worst_fd_ratio', 'nginx'), 0.75);
  t.is(one(r.text, 'num_threads', 'nginx'), 3);
  t.is(one(r.text, 'oldest_start_time_seconds', 'nginx'), BTIME + 10);
  t.deepEqual(
    ['Running', 'Sleeping', 'Waiting', 'Zombie', 'Other'].map((s) => state('nginx', s)),
    [1, 2, 0, 0, 0],
  );
  // python3 has 3 threads (S, R, D) besides its own state S, counted as process-exporter does.
  t.deepEqual(
    ['Running', 'Sleeping', 'Waiting', 'Zombie', 'Other'].map((s) => state('python3', s)),
    [1, 2, 1, 0, 0],
  );
  t.is(one(r.text, 'num_threads', 'python3'), 3);
  t.is(mem('python3', 'swapped'), 2048 * 1024);
  t.is(one(r.text, 'worst_fd_ratio', 'python3'), 4 / 65536);
  t.is(one(r.text, 'oldest_start_time_seconds', 'python3'), BTIME + 20);
});

test('every family has process-exporter HELP and TYPE, and each group every series', async (t) => {
  const r = await groupsScraper({ procfs: BASE }).scrape();
  const expected: [string, string, string][] = [
    ['namedprocess_namegroup_context_switches_total', 'Context switches', 'counter'],
    ['namedprocess_namegroup_cpu_seconds_total', 'Cpu user usage in seconds', 'counter'],
    [
      'namedprocess_namegroup_last_start_time_seconds',
      "start time in seconds since 1970/01/01 of the group's current run: its oldest process when the group was first seen or last restarted",
      'gauge',
    ],
    ['namedprocess_namegroup_major_page_faults_total', 'Major page faults', 'counter'],
    ['namedprocess_namegroup_memory_bytes', 'number of bytes of memory in use', 'gauge'],
    ['namedprocess_namegroup_minor_page_faults_total', 'Minor page faults', 'counter'],
    ['namedprocess_namegroup_num_procs', 'number of processes in this group', 'gauge'],
    ['namedprocess_namegroup_num_threads', 'Number of threads', 'gauge'],
    ['namedprocess_namegroup_oldest_start_time_seconds', 'start time in seconds since 1970/01/01 of oldest process in group', 'gauge'],
    ['namedprocess_namegroup_open_filedesc', 'number of open file descriptors for this group', 'gauge'],
    ['namedprocess_namegroup_read_bytes_total', 'number of bytes read by this group', 'counter'],
    [
      'namedprocess_namegroup_restarts_total',
      'number of times all processes of this group were replaced by new ones (the group restarted) since the exporter started',
      'counter',
    ],
    ['namedprocess_namegroup_states', 'Number of processes in states Running, Sleeping, Waiting, Zombie, or Other', 'gauge'],
    ['namedprocess_namegroup_worst_fd_ratio', 'the worst (closest to 1) ratio between open fds and max fds among all procs in this group', 'gauge'],
    ['namedprocess_namegroup_write_bytes_total', 'number of bytes written by this group', 'counter'],
    ['namedprocess_scrape_errors', 'general scrape errors: no proc metrics collected during a cycle', 'counter'],
    ['namedprocess_scrape_partial_errors', "incremented each time a tracked proc's metrics collection fails partially, e.g. unreadable I/O stats", 'counter'],
    ['namedprocess_scrape_procread_errors', "incremented each time a proc's metrics collection fails", 'counter'],
  ];
  const helps = r.text.split('\n').filter((l) => l.startsWith('# HELP namedprocess_'));
  t.deepEqual(helps, expected.map(([name, help]) => `# HELP ${name} ${help}`));
  for (const [name, , type] of expected) t.true(r.text.includes(`# TYPE ${name} ${type}\n`), name);
  // 1 num_procs + 2 cpu + 3 memory + fds 2 + io 2 + faults 2 + ctx 2 + threads + start + 5 states,
  // and ours: restarts and the current run's start.
  t.is(groupLines(r.text, 'nginx').length, 23);
  t.is(valueOf(r.text, 'namedprocess_scrape_errors'), 0);
  t.is(valueOf(r.text, 'namedprocess_scrape_procread_errors'), 0);
  t.is(valueOf(r.text, 'namedprocess_scrape_partial_errors'), 0);
});

test('counters count from the first scrape for processes running then, and from their start for later ones', async (t) => {
  const { tree, scraper } = await scraperOnBase(t);
  const first = await scraper.scrape();
  t.is(cpu(first.text, 'nginx', 'user'), 0);
  t.is(one(first.text, 'read_bytes_total', 'nginx'), 0);

  // pid 100 uses 1 s user, 0.1 s system and reads 1000 bytes; pid 500 starts (0.3 s, 0.2 s, 777 bytes).
  await writeFile(path.join(tree.procfs, '100', 'stat'), statLine({ pid: 100, comm: 'nginx', utime: 250, stime: 60, minflt: 1200, majflt: 7, start: 1000, rss: 2000 }));
  await writeFile(path.join(tree.procfs, '100', 'io'), 'read_bytes: 5096\nwrite_bytes: 8192\n');
  await writeProcess(tree.procfs, { pid: 500, comm: 'nginx', ppid: 100, utime: 30, stime: 20, minflt: 40, readBytes: 777, start: 9000 });
  const second = await scraper.scrape();
  t.is(one(second.text, 'num_procs', 'nginx'), 4);
  t.is(cpu(second.text, 'nginx', 'user'), 1.3);
  t.is(cpu(second.text, 'nginx', 'system'), 0.3);
  t.is(one(second.text, 'read_bytes_total', 'nginx'), 1777);
  t.is(one(second.text, 'minor_page_faults_total', 'nginx'), 40);
});

test('a group keeps what exited processes used: its counters never go back', async (t) => {
  const { tree, scraper } = await scraperOnBase(t);
  await scraper.scrape();
  await writeProcess(tree.procfs, { pid: 101, comm: 'nginx', ppid: 100, utime: 500, stime: 100, start: 1100, voluntary: 80, nonvoluntary: 70 });
  const before = await scraper.scrape();
  t.is(cpu(before.text, 'nginx', 'user'), 1);
  t.is(v(before.text, 'context_switches_total', 'ctxswitchtype="voluntary",groupname="nginx"'), 30);

  await removeProcess(tree.procfs, 101);
  const after = await scraper.scrape();
  t.is(one(after.text, 'num_procs', 'nginx'), 2);
  t.is(cpu(after.text, 'nginx', 'user'), 1);
  t.is(v(after.text, 'context_switches_total', 'ctxswitchtype="voluntary",groupname="nginx"'), 30);

  // The survivors' usage adds on top.
  await writeProcess(tree.procfs, { pid: 102, comm: 'nginx', ppid: 100, utime: 250, stime: 50, start: 1100, voluntary: 40 });
  const later = await scraper.scrape();
  t.is(cpu(later.text, 'nginx', 'user'), 1.5);
});

test('a group whose processes are all gone disappears, and comes back counting from zero', async (t) => {
  const { tree, scraper } = await scraperOnBase(t);
  await scraper.scrape();
  await writeProcess(tree.procfs, { pid: 101, comm: 'nginx', ppid: 100, utime: 900, start: 1100 });
  t.is(cpu((await scraper.scrape()).text, 'nginx', 'user'), 5);
  for (const pid of [100, 101, 102]) await removeProcess(tree.procfs, pid);
  const gone = await scraper.scrape();
  t.deepEqual(groupNames(gone.text), ['python3', 'sh', 'sleep']);
  t.deepEqual(groupLines(gone.text, 'nginx'), []);

  await writeProcess(tree.procfs, { pid: 600, comm: 'nginx', utime: 5, start: 20_000 });
  const back = await scraper.scrape();
  t.is(one(back.text, 'num_procs', 'nginx'), 1);
  t.is(cpu(back.text, 'nginx', 'user'), 0.05);
});

test('a group restarts when none of its processes is left: in one interval, or across an outage', async (t) => {
  const { tree, scraper } = await scraperOnBase(t);
  const first = await scraper.scrape();
  t.is(one(first.text, 'restarts_total', 'nginx'), 0);
  // The run started with the oldest process seen (pid 100, 1000 ticks after boot).
  t.is(one(first.text, 'last_start_time_seconds', 'nginx'), BTIME + 10);

  // Workers replaced while the master (pid 100) stays: not a restart.
  await removeProcess(tree.procfs, 101);
  await writeProcess(tree.procfs, { pid: 103, comm: 'nginx', ppid: 100, start: 3000 });
  const rolled = await scraper.scrape();
  t.is(one(rolled.text, 'restarts_total', 'nginx'), 0);
  t.is(one(rolled.text, 'last_start_time_seconds', 'nginx'), BTIME + 10);

  // Every process replaced between two scrapes: one restart; the run starts with the new ones.
  for (const pid of [100, 102, 103]) await removeProcess(tree.procfs, pid);
  await writeProcess(tree.procfs, { pid: 700, comm: 'nginx', start: 40_000 });
  await writeProcess(tree.procfs, { pid: 701, comm: 'nginx', ppid: 700, start: 40_100 });
  const restarted = await scraper.scrape();
  t.is(one(restarted.text, 'restarts_total', 'nginx'), 1);
  t.is(one(restarted.text, 'last_start_time_seconds', 'nginx'), BTIME + 400);
  t.is(one(restarted.text, 'oldest_start_time_seconds', 'nginx'), BTIME + 400);

  // An outage: the group is gone for a scrape (no series, as process-exporter's
  // -remove-empty-groups), then back with a new process. The count goes on from 1.
  for (const pid of [700, 701]) await removeProcess(tree.procfs, pid);
  t.deepEqual(groupLines((await scraper.scrape()).text, 'nginx'), []);
  await writeProcess(tree.procfs, { pid: 800, comm: 'nginx', start: 60_000 });
  const back = await scraper.scrape();
  t.is(one(back.text, 'restarts_total', 'nginx'), 2);
  t.is(one(back.text, 'last_start_time_seconds', 'nginx'), BTIME + 600);
  // Other groups were untouched.
  t.is(one(back.text, 'restarts_total', 'sleep'), 0);
  const steady = await scraper.scrape();
  t.is(one(steady.text, 'restarts_total', 'nginx'), 2);
});

test('a config reload is not a restart: the restart counts go on', async (t) => {
  const { tree, scraper, reconfigure } = await withConfigFile(t, 'process_names:\n  - name: web\n    comm: [nginx]\n');
  await scraper.scrape();
  for (const pid of [100, 101, 102]) await removeProcess(tree.procfs, pid);
  await writeProcess(tree.procfs, { pid: 900, comm: 'nginx', start: 90_000 });
  t.is(one((await scraper.scrape()).text, 'restarts_total', 'web'), 1);
  await reconfigure('process_names:\n  - name: web\n    comm: [nginx]\n  - name: other\n    comm: [python3]\n');
  const r = await scraper.scrape();
  t.is(one(r.text, 'restarts_total', 'web'), 1);
  t.is(one(r.text, 'last_start_time_seconds', 'web'), BTIME + 900);
  t.is(one(r.text, 'restarts_total', 'other'), 0);
});

test('a reused pid for the only process of a group is a restart', async (t) => {
  const { tree, scraper } = await scraperOnBase(t);
  await scraper.scrape();
  // python3 (pid 200) exits and another python3 starts with the same pid: a new process.
  await writeProcess(tree.procfs, { pid: 200, comm: 'python3', start: 70_000, threads: 3 });
  const r = await scraper.scrape();
  t.is(one(r.text, 'restarts_total', 'python3'), 1);
  t.is(one(r.text, 'last_start_time_seconds', 'python3'), BTIME + 700);
});

test('a reused pid (another start time) is a new process, not a counter going back', async (t) => {
  const { tree, scraper } = await scraperOnBase(t);
  await scraper.scrape();
  await writeProcess(tree.procfs, { pid: 301, comm: 'sleep', ppid: 300, utime: 500, start: 5001 });
  t.is(cpu((await scraper.scrape()).text, 'sleep', 'user'), 5);
  // pid 301 again, but a new process that has used 0.2 s so far.
  await writeProcess(tree.procfs, { pid: 301, comm: 'sleep', ppid: 300, utime: 20, start: 9000 });
  const r = await scraper.scrape();
  t.is(cpu(r.text, 'sleep', 'user'), 5.2);
  t.is(one(r.text, 'oldest_start_time_seconds', 'sleep'), BTIME + 90);
});

test('a process that execs (its comm changes) is matched again, keeping its counters', async (t) => {
  const { tree, scraper } = await scraperOnBase(t);
  await scraper.scrape();
  // sh (pid 300, 0.01 s user so far) execs python3 and then uses 0.3 s more.
  await writeProcess(tree.procfs, { pid: 300, comm: 'python3', ppid: 200, utime: 31, start: 5000, cmdline: ['/usr/bin/python3', '/srv/worker.py'] });
  const r = await scraper.scrape();
  t.deepEqual(groupNames(r.text), ['nginx', 'python3', 'sleep']);
  t.is(one(r.text, 'num_procs', 'python3'), 2);
  t.is(cpu(r.text, 'python3', 'user'), 0.3);
});

test('rules from the config file: first match wins, templates, and children joining their parent', async (t) => {
  const config = `
process_names:
  - name: web
    comm: [nginx]
  - name: "app:{{.Matches.script}}:{{.Username}}"
    exe: [python3]
    cmdline: ['(?P<script>[^/ ]+)\\.py']
  - name: never
    comm: [nginx, python3]
`;
  const rootfs = fixture('process_groups', 'base', 'root');
  const withChildren = await groupsScraper({ procfs: BASE, rootfs, config }).scrape();
  t.deepEqual(groupNames(withChildren.text), ['app:app:app', 'web']);
  t.is(one(withChildren.text, 'num_procs', 'web'), 3);
  // sh (child of python3) and sleep (child of sh) join the app group.
  t.is(one(withChildren.text, 'num_procs', 'app:app:app'), 3);

  const alone = await groupsScraper({ procfs: BASE, rootfs, config, argv: ['--no-collector.process_groups.children'] }).scrape();
  t.deepEqual(groupNames(alone.text), ['app:app:app', 'web']);
  t.is(one(alone.text, 'num_procs', 'app:app:app'), 1);
});

test('a config reload applies the new rules from the next scrape; a renamed group counts from the scrape before', async (t) => {
  const { tree, scraper, reconfigure } = await withConfigFile(t, 'process_names:\n  - name: web\n    comm: [nginx]\n');
  await scraper.scrape();
  await writeProcess(tree.procfs, { pid: 101, comm: 'nginx', ppid: 100, utime: 500, start: 1100 });
  t.is(cpu((await scraper.scrape()).text, 'web', 'user'), 1);

  await reconfigure('process_names:\n  - name: "server-{{.Comm}}"\n    comm: [nginx, python3]\n');
  await writeProcess(tree.procfs, { pid: 101, comm: 'nginx', ppid: 100, utime: 600, start: 1100 });
  const r = await scraper.scrape();
  t.deepEqual(groupNames(r.text), ['server-nginx', 'server-python3']);
  // Changed from "counting afresh" (0): pid 101 keeps its last reading, so its 1 s since the
  // scrape before counts in its new group; python3, untracked before, counts from the reload.
  t.is(cpu(r.text, 'server-nginx', 'user'), 1);
  t.is(cpu(r.text, 'server-python3', 'user'), 0);
});

test('a config reload keeps the counters of a group that keeps its name; a process newly tracked counts from the reload', async (t) => {
  const { tree, scraper, reconfigure } = await withConfigFile(t, 'process_names:\n  - name: web\n    comm: [nginx]\n');
  await scraper.scrape();
  await writeProcess(tree.procfs, { pid: 101, comm: 'nginx', ppid: 100, utime: 500, start: 1100 });
  // Started after the first scrape but tracked by no rule: its 4 s are nobody's.
  await writeProcess(tree.procfs, { pid: 510, comm: 'php-fpm', utime: 400, start: 9000 });
  t.is(cpu((await scraper.scrape()).text, 'web', 'user'), 1);

  await reconfigure('process_names:\n  - name: web\n    comm: [nginx]\n  - name: app\n    comm: [php-fpm]\n');
  await writeProcess(tree.procfs, { pid: 101, comm: 'nginx', ppid: 100, utime: 600, start: 1100 });
  await writeProcess(tree.procfs, { pid: 510, comm: 'php-fpm', utime: 450, start: 9000 });
  const reloaded = await scraper.scrape();
  t.deepEqual(groupNames(reloaded.text), ['app', 'web']);
  t.is(cpu(reloaded.text, 'web', 'user'), 2, 'web goes on from 1');
  t.is(cpu(reloaded.text, 'app', 'user'), 0, 'app counts from the reload, not from the start of pid 510');

  await writeProcess(tree.procfs, { pid: 510, comm: 'php-fpm', utime: 500, start: 9000 });
  t.is(cpu((await scraper.scrape()).text, 'app', 'user'), 0.5);
});

test('a reload of an unchanged file changes no counter, however often', async (t) => {
  const config = 'process_names:\n  - name: web\n    comm: [nginx]\n';
  const { tree, scraper, reconfigure } = await withConfigFile(t, config);
  await scraper.scrape();
  await writeProcess(tree.procfs, { pid: 101, comm: 'nginx', ppid: 100, utime: 551, start: 1100 });
  t.is(cpu((await scraper.scrape()).text, 'web', 'user'), 1.51);
  for (let i = 0; i < 5; i++) await reconfigure(config);
  await writeProcess(tree.procfs, { pid: 101, comm: 'nginx', ppid: 100, utime: 601, start: 1100 });
  t.is(cpu((await scraper.scrape()).text, 'web', 'user'), 2.01);
});

test('an unreadable io file leaves its bytes out and counts a partial error; the rest is served', async (t) => {
  const { tree, scraper } = await scraperOnBase(t);
  await scraper.scrape();
  // A directory where the file should be: reading it fails with EISDIR (as root, chmod would not).
  const io = path.join(tree.procfs, '100', 'io');
  await rm(io);
  await mkdir(io);
  await writeFile(path.join(tree.procfs, '101', 'io'), 'read_bytes: 300\nwrite_bytes: 1000\n');
  const r = await scraper.scrape();
  t.is(r.success, 1);
  t.is(valueOf(r.text, 'namedprocess_scrape_partial_errors'), 1);
  t.is(one(r.text, 'read_bytes_total', 'nginx'), 300);
  t.is(one(r.text, 'num_procs', 'nginx'), 3);
  t.is(one(r.text, 'open_filedesc', 'nginx'), 27);
  t.is(valueOf((await scraper.scrape()).text, 'namedprocess_scrape_partial_errors'), 2);

  // Readable again: only what was read since the last readable value is added.
  await rm(io, { recursive: true });
  await writeFile(io, 'read_bytes: 4596\nwrite_bytes: 8192\n');
  const again = await scraper.scrape();
  t.is(one(again.text, 'read_bytes_total', 'nginx'), 800);
  t.is(valueOf(again.text, 'namedprocess_scrape_partial_errors'), 2);
});

test('unreadable fd and limits are partial errors too; the fd ratio uses what could be read', async (t) => {
  const tree = await copyFixture('base');
  t.teardown(tree.remove);
  // A symbolic link to itself: listing it fails with ELOOP.
  await rm(path.join(tree.procfs, '102', 'fd'), { recursive: true });
  await symlink('fd', path.join(tree.procfs, '102', 'fd'));
  await writeFile(path.join(tree.procfs, '101', 'limits'), 'garbage\n');
  const r = await groupsScraper({ procfs: tree.procfs }).scrape();
  t.is(r.success, 1);
  t.is(valueOf(r.text, 'namedprocess_scrape_partial_errors'), 2);
  t.is(one(r.text, 'open_filedesc', 'nginx'), 5 + 10);
  t.is(one(r.text, 'worst_fd_ratio', 'nginx'), 5 / 1024);
});

test('a process that exits mid-read is skipped without an error', async (t) => {
  const tree = await copyFixture('base');
  t.teardown(tree.remove);
  // 700: stat read, then gone before its status. 701: gone before its stat. 702: gone before cmdline.
  await writeProcess(tree.procfs, { pid: 700, comm: 'nginx' });
  await rm(path.join(tree.procfs, '700', 'status'));
  await mkdir(path.join(tree.procfs, '701'));
  await writeProcess(tree.procfs, { pid: 702, comm: 'nginx' });
  await rm(path.join(tree.procfs, '702', 'cmdline'));
  const r = await groupsScraper({ procfs: tree.procfs }).scrape();
  t.is(r.success, 1);
  t.is(one(r.text, 'num_procs', 'nginx'), 3);
  t.is(valueOf(r.text, 'namedprocess_scrape_procread_errors'), 0);
  t.is(valueOf(r.text, 'namedprocess_scrape_partial_errors'), 0);
});

test("a malformed pid file is a procread error for that process only", async (t) => {
  const tree = await copyFixture('base');
  t.teardown(tree.remove);
  await mkdir(path.join(tree.procfs, '800'));
  await writeFile(path.join(tree.procfs, '800', 'stat'), '800 (cut) S 1 800\n');
  await writeFile(path.join(tree.procfs, '102', 'status'), 'Name:\tnginx\nUid:\t33\tx\t33\t33\n');
  const r = await groupsScraper({ procfs: tree.procfs }).scrape();
  t.is(r.success, 1);
  t.is(valueOf(r.text, 'namedprocess_scrape_procread_errors'), 2);
  t.is(one(r.text, 'num_procs', 'nginx'), 2);
  t.is(one(r.text, 'num_procs', 'python3'), 1);
});

test('older kernels: no context switch lines, no io file, no limits file', async (t) => {
  const tree = await copyFixture('base');
  t.teardown(tree.remove);
  for (const pid of ['100', '101', '102']) {
    await writeFile(path.join(tree.procfs, pid, 'status'), `Name:\tnginx\nUid:\t0\t0\t0\t0\n`);
    await rm(path.join(tree.procfs, pid, 'io'));
    await rm(path.join(tree.procfs, pid, 'limits'));
  }
  const r = await groupsScraper({ procfs: tree.procfs }).scrape();
  t.is(r.success, 1);
  t.is(valueOf(r.text, 'namedprocess_scrape_partial_errors'), 0);
  t.is(v(r.text, 'context_switches_total', 'ctxswitchtype="voluntary",groupname="nginx"'), 0);
  t.is(one(r.text, 'read_bytes_total', 'nginx'), 0);
  t.is(one(r.text, 'worst_fd_ratio', 'nginx'), 0);
  t.is(v(r.text, 'memory_bytes', 'groupname="nginx",memtype="swapped"'), 0);
});

test('a missing /proc or a /proc/stat without btime fails the scrape (success 0), counted in scrape_errors', async (t) => {
  const missing = await groupsScraper({ procfs: fixture('process_groups', 'does-not-exist') }).scrape();
  t.is(missing.success, 0);
  t.is(valueOf(missing.text, 'namedprocess_scrape_errors'), 1);
  t.true(missing.logs.some((l) => l.includes('collector failed')));

  const tree = await copyFixture('base');
  t.teardown(tree.remove);
  await writeFile(path.join(tree.procfs, 'stat'), 'cpu  1 2 3 4\n');
  const scraper = groupsScraper({ procfs: tree.procfs });
  const noBtime = await scraper.scrape();
  t.is(noBtime.success, 0);
  t.is(valueOf(noBtime.text, 'namedprocess_scrape_errors'), 1);
  t.false(noBtime.text.includes('groupname='));
  // Fixed: the next scrape works (the boot time is not cached as a failure).
  await writeFile(path.join(tree.procfs, 'stat'), `cpu  1 2 3 4\nbtime ${BTIME}\n`);
  const fixed = await scraper.scrape();
  t.is(fixed.success, 1);
  t.is(valueOf(fixed.text, 'namedprocess_scrape_errors'), 1);
});

test('scrapes at the same time run one after the other and both succeed', async (t) => {
  const scraper = groupsScraper({ procfs: BASE });
  const [a, b] = await Promise.all([scraper.scrape(), scraper.scrape()]);
  t.is(a.success, 1);
  t.is(b.success, 1);
  t.is(one(b.text, 'num_procs', 'nginx'), 3);
});

test("a multi-threaded process's context switches are its threads' sum, which may drop when a thread ends", async (t) => {
  const { tree, scraper } = await scraperOnBase(t);
  const ctx = (text: string, type: string) => v(text, 'context_switches_total', `ctxswitchtype="${type}",groupname="python3"`);
  await scraper.scrape();
  const threadStatus = path.join(tree.procfs, '200', 'task', '201', 'status');
  await writeFile(threadStatus, 'Name:\tpython3\nUid:\t1000\t1000\t1000\t1000\nvoluntary_ctxt_switches:\t105\nnonvoluntary_ctxt_switches:\t52\n');
  const second = await scraper.scrape();
  t.is(ctx(second.text, 'voluntary'), 5);
  t.is(ctx(second.text, 'nonvoluntary'), 2);
  // Thread 202 (1000 and 500 switches) ends: the sum drops, the counter does not.
  await rm(path.join(tree.procfs, '200', 'task', '202'), { recursive: true });
  const third = await scraper.scrape();
  t.is(ctx(third.text, 'voluntary'), 5);
  t.is(valueOf(third.text, 'namedprocess_namegroup_states{groupname="python3",state="Waiting"}'), 0);
  await writeFile(threadStatus, 'Name:\tpython3\nUid:\t1000\t1000\t1000\t1000\nvoluntary_ctxt_switches:\t125\nnonvoluntary_ctxt_switches:\t52\n');
  t.is(ctx((await scraper.scrape()).text, 'voluntary'), 25);
});

test('the shared fixture tree (test/fixtures/tree) gives one group per comm, kthreadd left out', async (t) => {
  const r = await groupsScraper({ procfs: fixture('tree', 'proc') }).scrape();
  t.is(r.success, 1);
  t.deepEqual(groupNames(r.text), ['nginx', 'systemd']);
  t.is(one(r.text, 'num_threads', 'nginx'), 3);
  t.is(one(r.text, 'open_filedesc', 'nginx'), 9);
  t.is(valueOf(r.text, 'namedprocess_scrape_partial_errors'), 0);
  t.is(valueOf(r.text, 'namedprocess_scrape_procread_errors'), 0);
});
