/**
 * The source for platforms without /proc (systeminformation's process list on a background
 * refresh, pidusage per scrape), with injected fakes of both libraries.
 */
import test from 'ava';
import { processGroupsCollectorWith } from '../../../src/collector/process_groups.js';
import { formatGoFloat } from '../../../src/gocompat/go-float.js';
import { createLogger } from '../../../src/lib/log.js';
import { HostPaths } from '../../../src/hostfs/paths.js';
import { HostFs } from '../../../src/hostfs/host-fs.js';
import { createProcessSource } from '../../../src/process/create-source.js';
import { type PidUsage, PidusageSource, type SiProcess } from '../../../src/process/pidusage-source.js';
import { ProcfsSource } from '../../../src/process/procfs-source.js';
import { valueOf } from '../../helpers/collect.js';
import { groupLines, groupNames, groupsScraper } from '../../helpers/process-groups.js';

function siProcess(p: Partial<SiProcess> & Pick<SiProcess, 'pid' | 'name'>): SiProcess {
  return { parentPid: 1, command: p.name, params: '', path: '/usr/sbin', user: 'www', started: '2026-01-02 03:04:05', state: 'sleeping', memVsz: 1000, ...p };
}

class FakeLibraries {
  list: SiProcess[] = [];
  usage: Record<string, PidUsage | null> = {};
  listCalls = 0;
  usageCalls: number[][] = [];
  cleared = 0;
  failNextList = false;
  readonly logs: string[] = [];

  source(): PidusageSource {
    return new PidusageSource({
      log: createLogger('debug', 'logfmt', (l) => this.logs.push(l)),
      listProcesses: async () => {
        this.listCalls++;
        if (this.failNextList) {
          this.failNextList = false;
          throw new Error('ps: not found');
        }
        return { list: [...this.list] };
      },
      usage: async (pids) => {
        this.usageCalls.push(pids);
        return Object.fromEntries(pids.map((pid) => [String(pid), this.usage[pid] ?? null]));
      },
      clear: () => this.cleared++,
    });
  }
}

function setup(config = '') {
  const libs = new FakeLibraries();
  const source = libs.source();
  const scraper = groupsScraper({ procfs: '/nonexistent', config, factory: processGroupsCollectorWith(() => source) });
  return { libs, source, scraper };
}

const user = (text: string, group: string) => valueOf(text, `namedprocess_namegroup_cpu_seconds_total{groupname="${group}",mode="user"}`);

test('before the first background listing the scrape has no data (success 0), and lists nothing itself', async (t) => {
  const { libs, scraper } = setup();
  const r = await scraper.scrape();
  t.is(r.success, 0);
  t.is(libs.listCalls, 0);
  t.is(valueOf(r.text, 'namedprocess_scrape_errors'), 0);
});

test('groups from the last listing, CPU and resident memory from one batched pidusage call', async (t) => {
  const { libs, source, scraper } = setup();
  libs.list = [
    siProcess({ pid: 10, name: 'nginx', state: 'running', memVsz: 2000 }),
    siProcess({ pid: 11, name: 'nginx', parentPid: 10, started: '2026-01-02 03:00:00' }),
    siProcess({ pid: 20, name: 'postgres', state: 'blocked', path: '/usr/lib/pg', params: '-D /data' }),
  ];
  libs.usage = { 10: { ctime: 1500, memory: 4_000_000 }, 11: { ctime: 250, memory: 1_000_000 }, 20: { ctime: 10, memory: 500 } };
  await source.refresh();
  const first = await scraper.scrape();
  t.is(first.success, 1);
  t.is(libs.listCalls, 1);
  t.deepEqual(libs.usageCalls, [[10, 11, 20]]);
  t.deepEqual(groupNames(first.text), ['nginx', 'postgres']);
  // Counters start at the first scrape, as on Linux.
  t.deepEqual(groupLines(first.text, 'nginx'), [
    'namedprocess_namegroup_cpu_seconds_total{groupname="nginx",mode="user"} 0',
    `namedprocess_namegroup_last_start_time_seconds{groupname="nginx"} ${formatGoFloat(new Date('2026-01-02T03:00:00').getTime() / 1000)}`,
    'namedprocess_namegroup_memory_bytes{groupname="nginx",memtype="resident"} 5e+06',
    'namedprocess_namegroup_memory_bytes{groupname="nginx",memtype="virtual"} 3.072e+06',
    'namedprocess_namegroup_num_procs{groupname="nginx"} 2',
    `namedprocess_namegroup_oldest_start_time_seconds{groupname="nginx"} ${formatGoFloat(new Date('2026-01-02T03:00:00').getTime() / 1000)}`,
    'namedprocess_namegroup_restarts_total{groupname="nginx"} 0',
    'namedprocess_namegroup_states{groupname="nginx",state="Other"} 0',
    'namedprocess_namegroup_states{groupname="nginx",state="Running"} 1',
    'namedprocess_namegroup_states{groupname="nginx",state="Sleeping"} 1',
    'namedprocess_namegroup_states{groupname="nginx",state="Waiting"} 0',
    'namedprocess_namegroup_states{groupname="nginx",state="Zombie"} 0',
  ]);
  t.is(valueOf(first.text, 'namedprocess_namegroup_states{groupname="postgres",state="Waiting"}'), 1);

  libs.usage = { 10: { ctime: 2500, memory: 4_000_000 }, 11: { ctime: 450, memory: 1_000_000 }, 20: { ctime: 10, memory: 500 } };
  const second = await scraper.scrape();
  t.is(user(second.text, 'nginx'), 1.2);
  // Still the one listing: the scrape never lists processes.
  t.is(libs.listCalls, 1);
  t.is(libs.usageCalls.length, 2);
});

test('what pidusage cannot give is left out, not reported as 0', async (t) => {
  const { libs, source, scraper } = setup();
  libs.list = [siProcess({ pid: 10, name: 'nginx' })];
  libs.usage = { 10: { ctime: 1, memory: 1 } };
  await source.refresh();
  const r = await scraper.scrape();
  for (const absent of ['mode="system"', 'memtype="swapped"', '_open_filedesc', '_worst_fd_ratio', '_read_bytes_total', '_write_bytes_total', '_page_faults_total', '_context_switches_total', '_num_threads']) {
    t.false(r.text.includes(absent), absent);
  }
});

test('a process that exits keeps its share; counters never go back', async (t) => {
  const { libs, source, scraper } = setup();
  libs.list = [siProcess({ pid: 10, name: 'nginx' }), siProcess({ pid: 11, name: 'nginx' })];
  libs.usage = { 10: { ctime: 0, memory: 1 }, 11: { ctime: 0, memory: 1 } };
  await source.refresh();
  await scraper.scrape();
  libs.usage = { 10: { ctime: 3000, memory: 1 }, 11: { ctime: 1000, memory: 1 } };
  t.is(user((await scraper.scrape()).text, 'nginx'), 4);
  // 11 exited: pidusage has nothing for it, though the listing still has it.
  libs.usage = { 10: { ctime: 3500, memory: 1 } };
  const r = await scraper.scrape();
  t.is(user(r.text, 'nginx'), 4.5);
  t.is(valueOf(r.text, 'namedprocess_namegroup_num_procs{groupname="nginx"}'), 1);
  // A new process after the first scrape counts from its start.
  libs.list = [siProcess({ pid: 10, name: 'nginx' }), siProcess({ pid: 12, name: 'nginx' })];
  libs.usage = { 10: { ctime: 3500, memory: 1 }, 12: { ctime: 700, memory: 1 } };
  await source.refresh();
  t.is(user((await scraper.scrape()).text, 'nginx'), 5.2);
});

test('only tracked processes are measured; rules see argv rebuilt from path, command and params', async (t) => {
  const { libs, source, scraper } = setup(`
process_names:
  - name: "{{.Username}}:{{.ExeFull}}:{{.Matches.dir}}"
    exe: [postgres]
    cmdline: ['-D (?P<dir>\\S+)']
`);
  libs.list = [siProcess({ pid: 20, name: 'postgres', path: '/usr/lib/pg', params: '-D /data', user: 'pg' }), siProcess({ pid: 30, name: 'bash' })];
  libs.usage = { 20: { ctime: 1, memory: 1 } };
  await source.refresh();
  const r = await scraper.scrape();
  t.deepEqual(groupNames(r.text), ['pg:/usr/lib/pg/postgres:/data']);
  t.deepEqual(libs.usageCalls, [[20]]);
});

test('a failed listing keeps the previous one; refreshes in flight are joined', async (t) => {
  const { libs, source, scraper } = setup();
  libs.list = [siProcess({ pid: 10, name: 'nginx' })];
  libs.usage = { 10: { ctime: 1, memory: 1 } };
  await Promise.all([source.refresh(), source.refresh()]);
  t.is(libs.listCalls, 1);
  libs.failNextList = true;
  await source.refresh();
  t.true(libs.logs.some((l) => l.includes('listing processes failed') && l.includes('ps: not found')));
  const r = await scraper.scrape();
  t.is(r.success, 1);
  t.deepEqual(groupNames(r.text), ['nginx']);
});

test('start() refreshes at once and on a timer that does not keep the process alive; close() stops it', async (t) => {
  const libs = new FakeLibraries();
  const source = new PidusageSource({
    log: createLogger('error', 'logfmt', () => undefined),
    listProcesses: async () => {
      libs.listCalls++;
      return { list: [] };
    },
    usage: async () => ({}),
    clear: () => libs.cleared++,
    refreshMs: 20,
  });
  source.start();
  t.is(libs.listCalls, 1);
  // Bounded wait for two timer refreshes (this machine may be busy).
  for (let waited = 0; libs.listCalls < 3 && waited < 5000; waited += 10) await new Promise((resolve) => setTimeout(resolve, 10));
  source.close();
  const calls = libs.listCalls;
  t.true(calls >= 3, `${calls} listings`);
  await new Promise((resolve) => setTimeout(resolve, 100));
  t.is(libs.listCalls, calls);
  t.is(libs.cleared, 1);
});

test('the platform picks the source: /proc on Linux; the libraries load only elsewhere', async (t) => {
  const log = createLogger('error', 'logfmt', () => undefined);
  t.true(createProcessSource(new HostFs(new HostPaths()), log, 'linux') instanceof ProcfsSource);
  // What the other platforms' source calls, as the installed libraries export it.
  t.is(typeof (await import('systeminformation')).processes, 'function');
  t.is(typeof (await import('pidusage')).default, 'function');
  t.is(typeof (await import('pidusage')).default.clear, 'function');
});
