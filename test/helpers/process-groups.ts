/**
 * Test helpers for the process_groups collector: one collector kept across scrapes (its
 * per-process history is what is being tested), temporary copies of fixture /proc trees to
 * add and remove pids in, and writers for fake /proc/<pid> files.
 */
import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { CollectorFactory } from '../../src/collector/collector.js';
import { NodeCollector } from '../../src/collector/node-collector.js';
import { processGroupsCollector } from '../../src/collector/process_groups.js';
import { parseConfig } from '../../src/config/load.js';
import { ConfigStore } from '../../src/config/store.js';
import { writeText } from '../../src/exposition/text.js';
import { parseFlags } from '../../src/cli/flags.js';
import { createLogger } from '../../src/lib/log.js';
import { HostPaths } from '../../src/hostfs/paths.js';
import { HostFs } from '../../src/hostfs/host-fs.js';
import { fixture } from './collect.js';

export interface GroupsScrape {
  readonly text: string;
  /** node_scrape_collector_success for process_groups. */
  readonly success: number;
  readonly logs: string[];
}

export interface GroupsScraper {
  scrape(): Promise<GroupsScrape>;
  close(): Promise<void>;
}

export interface ScraperOptions {
  /** --path.procfs */
  readonly procfs: string;
  /** --path.rootfs (for /etc/passwd) */
  readonly rootfs?: string;
  /** The config file's text (YAML), or a ConfigStore (to test reloads). */
  readonly config?: string | ConfigStore;
  readonly argv?: readonly string[];
  readonly factory?: CollectorFactory;
}

export function groupsScraper(opts: ScraperOptions): GroupsScraper {
  const factory = opts.factory ?? processGroupsCollector;
  const logs: string[] = [];
  const log = createLogger('debug', 'logfmt', (line) => logs.push(line));
  const config =
    opts.config instanceof ConfigStore ? opts.config : ConfigStore.of(parseConfig(opts.config ?? '', 'test.yml'));
  const host = new HostFs(new HostPaths(opts.procfs, '/sys', opts.rootfs ?? '/'));
  const collector = factory.create({
    host,
    flags: parseFlags(factory.flags ?? [], opts.argv ?? []),
    log,
    config,
  });
  const node = new NodeCollector(new Map([[factory.name, collector]]), log);
  return {
    async scrape() {
      logs.length = 0;
      const families = await node.collect(5000);
      const success = families.find((f) => f.desc.name === 'node_scrape_collector_success')?.samples[0]?.value ?? NaN;
      return { text: writeText(families), success, logs: [...logs] };
    },
    async close() {
      await collector.close?.();
      host.close();
    },
  };
}

/** A temporary copy of test/fixtures/process_groups/<name>, removed by `remove()`. */
export async function copyFixture(name: string): Promise<{ root: string; procfs: string; rootfs: string; remove: () => Promise<void> }> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'process-groups-'));
  await cp(fixture('process_groups', name), root, { recursive: true });
  return { root, procfs: path.join(root, 'proc'), rootfs: path.join(root, 'root'), remove: () => rm(root, { recursive: true, force: true }) };
}

export interface FakeProcess {
  readonly pid: number;
  readonly comm: string;
  readonly ppid?: number;
  readonly state?: string;
  readonly utime?: number;
  readonly stime?: number;
  readonly minflt?: number;
  readonly majflt?: number;
  readonly threads?: number;
  /** Start, in ticks after boot. */
  readonly start?: number;
  readonly vsize?: number;
  readonly rss?: number;
  readonly cmdline?: readonly string[];
  readonly uid?: number;
  readonly voluntary?: number;
  readonly nonvoluntary?: number;
  readonly readBytes?: number;
  readonly writeBytes?: number;
  readonly fds?: number;
  readonly fdLimit?: number;
}

/** A /proc/<pid>/stat line with the given fields (the others plausible constants). */
export function statLine(p: FakeProcess): string {
  return (
    `${p.pid} (${p.comm}) ${p.state ?? 'S'} ${p.ppid ?? 1} ${p.pid} ${p.pid} 0 -1 4194560 ${p.minflt ?? 0} 0 ${p.majflt ?? 0} 0 ` +
    `${p.utime ?? 0} ${p.stime ?? 0} 0 0 20 0 ${p.threads ?? 1} 0 ${p.start ?? 100} ${p.vsize ?? 1000000} ${p.rss ?? 100} ` +
    '18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n'
  );
}

/** Writes (or overwrites) /proc/<pid>/{stat,status,io,limits,cmdline,fd/} for a fake process. */
export async function writeProcess(procfs: string, p: FakeProcess): Promise<void> {
  const dir = path.join(procfs, String(p.pid));
  await mkdir(path.join(dir, 'fd'), { recursive: true });
  const uid = p.uid ?? 0;
  await writeFile(path.join(dir, 'stat'), statLine(p));
  await writeFile(
    path.join(dir, 'status'),
    `Name:\t${p.comm}\nState:\t${p.state ?? 'S'}\nPid:\t${p.pid}\nUid:\t${uid}\t${uid}\t${uid}\t${uid}\nVmSwap:\t       0 kB\n` +
      `voluntary_ctxt_switches:\t${p.voluntary ?? 0}\nnonvoluntary_ctxt_switches:\t${p.nonvoluntary ?? 0}\n`,
  );
  await writeFile(path.join(dir, 'io'), `rchar: 0\nwchar: 0\nread_bytes: ${p.readBytes ?? 0}\nwrite_bytes: ${p.writeBytes ?? 0}\n`);
  await writeFile(
    path.join(dir, 'limits'),
    'Limit                     Soft Limit           Hard Limit           Units     \n' +
      `Max open files            ${String(p.fdLimit ?? 1024).padEnd(20)} 4096                 files     \n`,
  );
  await writeFile(path.join(dir, 'cmdline'), (p.cmdline ?? [p.comm]).map((a) => a + '\0').join(''));
  for (let fd = 0; fd < (p.fds ?? 3); fd++) await writeFile(path.join(dir, 'fd', String(fd)), '');
}

export async function removeProcess(procfs: string, pid: number): Promise<void> {
  await rm(path.join(procfs, String(pid)), { recursive: true, force: true });
}

/** Lines of the text exposition for one group (label groupname="<group>"), without HELP/TYPE. */
export function groupLines(text: string, group: string): string[] {
  return text.split('\n').filter((l) => l.includes(`groupname="${group}"`));
}

/** Every groupname in the output, sorted. */
export function groupNames(text: string): string[] {
  return [...new Set([...text.matchAll(/groupname="([^"]*)"/g)].map((m) => m[1] as string))].sort();
}
