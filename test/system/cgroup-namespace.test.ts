/**
 * The server's cgroup seen from a sidecar in a private cgroup namespace, on this machine's real
 * kernel: the server process in its own cgroup (a 256 MiB memory limit, a 1.5 CPU quota) and
 * cgroup namespace, with the cgroup hierarchies mounted afresh inside (what a container runtime
 * does), and the exporter in another cgroup and cgroup namespace, both in one PID namespace (the
 * pod). From the exporter the server's cgroup is "/../server": outside its own mount, read
 * through /proc/<server pid>/root. Run as another user than the server, that is denied, and the
 * exporter says why. This machine's hierarchies are cgroup v1; the v2 case is covered by the
 * fixture tree test/fixtures/cgroup/v2-sidecar (test/unit/collector/cgroup.test.ts).
 * Root only (unshare, mount, cgroup directories); skipped, with the reason, otherwise.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, rmdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import test from 'ava';
import { valueOf } from '../helpers/collect.js';
import { OUR_MAIN, freePort, httpGet, isExecutable } from '../helpers/exporters.js';
import { cannotRunHere } from '../helpers/skip.js';

const V1 = '/sys/fs/cgroup';
const CONTROLLERS = ['memory', 'cpu'] as const;
const SERVER_MARK = 'sidecar-cgns-test-server';
const LIMIT_BYTES = 268435456;
const QUOTA_MICROS = 150000;

/** Why the test cannot run here, or undefined. */
function unavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root (unshare, mount, cgroup directories)';
  if (!isExecutable('/usr/bin/unshare') || !isExecutable('/usr/bin/setpriv')) return 'needs unshare and setpriv (util-linux)';
  const missing = CONTROLLERS.filter((c) => !existsSync(path.join(V1, c, 'cgroup.procs')));
  if (missing.length > 0) return `needs cgroup v1 ${missing.join(', ')} hierarchies at ${V1}/<controller> (this machine's layout)`;
  return undefined;
}

/** A cgroup under each controller, removed (after its processes) by `remove`. */
function makeCgroups(base: string): { dir: (controller: string, name: string) => string; remove: () => Promise<void> } {
  const dir = (controller: string, name: string) => path.join(V1, controller, base, name);
  for (const c of CONTROLLERS) for (const name of ['server', 'sidecar']) mkdirSync(dir(c, name), { recursive: true });
  writeFileSync(path.join(dir('memory', 'server'), 'memory.limit_in_bytes'), String(LIMIT_BYTES));
  writeFileSync(path.join(dir('cpu', 'server'), 'cpu.cfs_quota_us'), String(QUOTA_MICROS));
  return {
    dir,
    async remove() {
      for (const c of CONTROLLERS) {
        for (const name of ['server', 'sidecar', '']) {
          // A cgroup can be removed once its last process has been reaped: a few tries.
          for (let i = 0; i < 50 && existsSync(dir(c, name)); i++) {
            try {
              rmdirSync(dir(c, name));
            } catch {
              await sleep(100);
            }
          }
        }
      }
    },
  };
}

/**
 * Writes the script of one container: join the cgroups `name` (writing its own pid), enter new
 * cgroup and mount namespaces, mount the hierarchies afresh there (what a runtime does), exec `command`.
 */
function containerScript(dir: string, cgroups: ReturnType<typeof makeCgroups>, name: string, command: string): string {
  const outer = path.join(dir, `${name}.sh`);
  const inner = path.join(dir, `${name}-inside.sh`);
  const join = CONTROLLERS.map((c) => `echo $$ > ${cgroups.dir(c, name)}/cgroup.procs`);
  const mounts = CONTROLLERS.map((c) => `umount ${V1}/${c} && mount -t cgroup -o ${c} cgroup ${V1}/${c}`);
  writeFileSync(outer, ['#!/bin/bash', 'set -e', ...join, `exec unshare --cgroup --mount ${inner}`, ''].join('\n'), { mode: 0o755 });
  writeFileSync(inner, ['#!/bin/bash', 'set -e', ...mounts, `exec ${command}`, ''].join('\n'), { mode: 0o755 });
  return outer;
}

interface Pod {
  readonly child: ChildProcess;
  readonly port: number;
  output(): string;
}

/** The pod: a new PID namespace (with its /proc) holding the server and the exporter. */
async function startPod(dir: string, cgroups: ReturnType<typeof makeCgroups>, exporterUser: 'root' | 'nobody'): Promise<Pod> {
  const port = await freePort();
  const exporter = [
    exporterUser === 'nobody' ? 'setpriv --reuid=65534 --regid=65534 --clear-groups' : '',
    process.execPath,
    OUR_MAIN,
    '--collector.disable-defaults --collector.cgroup',
    `--collector.cgroup.pid-match=^${SERVER_MARK}`,
    `--web.listen-address=127.0.0.1:${port}`,
  ].join(' ');
  const server = containerScript(dir, cgroups, 'server', `-a ${SERVER_MARK} sleep 600`);
  const sidecar = containerScript(dir, cgroups, 'sidecar', exporter);
  const child = spawn('unshare', ['--pid', '--fork', '--mount-proc', 'sh', '-c', `${server} & ${sidecar} & wait`], { stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  const keep = (chunk: Buffer) => {
    if (text.length < 65536) text += chunk.toString('utf8');
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  return { child, port, output: () => text };
}

async function stopPod(pod: Pod): Promise<void> {
  if (pod.child.exitCode !== null || pod.child.signalCode !== null) return;
  const exited = new Promise((resolve) => pod.child.once('exit', resolve));
  // Killing the namespace's init (unshare's child) takes every process in it down; unshare then exits.
  for (const pid of childPids(pod.child.pid ?? -1)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Gone already.
    }
  }
  await Promise.race([exited, sleep(5000)]);
  pod.child.kill('SIGKILL');
}

/** The children of a process, from the host's /proc (unshare's child is the pod's init). */
function childPids(ppid: number): number[] {
  try {
    const children = readFileSync(`/proc/${ppid}/task/${ppid}/children`, 'utf8').trim();
    return children ? children.split(' ').map(Number) : [];
  } catch {
    return [];
  }
}

/** Scrapes until the body satisfies `ready`, at most 20 s. */
async function scrapeUntil(pod: Pod, ready: (text: string) => boolean): Promise<string | undefined> {
  const deadline = Date.now() + 20_000;
  let last: string | undefined;
  while (Date.now() < deadline) {
    if (pod.child.exitCode !== null) return last;
    last = await httpGet(pod.port, '/metrics', { timeoutMs: 5000 })
      .then((r) => r.text)
      .catch(() => last);
    if (last !== undefined && ready(last)) return last;
    await sleep(250);
  }
  return last;
}

const reason = unavailable();

test.serial("a private cgroup namespace: the server's cgroup is /../server, read through its /proc/<pid>/root", async (t) => {
  if (reason) return cannotRunHere(t, reason);
  const dir = mkdtempSync(path.join(tmpdir(), 'cgroup-ns-'));
  const cgroups = makeCgroups(`sidecar-cgns-${process.pid}`);
  const pod = await startPod(dir, cgroups, 'root');
  try {
    const id = '/../server';
    const text = await scrapeUntil(pod, (body) => valueOf(body, `container_spec_memory_limit_bytes{id="${id}"}`) !== undefined);
    t.truthy(text, pod.output());
    t.is(valueOf(text ?? '', 'node_scrape_collector_success{collector="cgroup"}'), 1, pod.output());
    t.is(valueOf(text ?? '', `container_spec_memory_limit_bytes{id="${id}"}`), LIMIT_BYTES, text);
    t.is(valueOf(text ?? '', `container_spec_cpu_quota{id="${id}"}`), QUOTA_MICROS);
    t.is(valueOf(text ?? '', `container_spec_cpu_limit_cores{id="${id}"}`), 1.5);
    t.is(valueOf(text ?? '', `container_processes{id="${id}"}`), 1);
    // The server's cgroup directory on the host holds what the exporter read.
    const usage = valueOf(text ?? '', `container_memory_usage_bytes{id="${id}"}`) ?? 0;
    t.true(usage > 0 && usage < LIMIT_BYTES, `usage ${usage}`);
  } finally {
    await stopPod(pod);
    await cgroups.remove();
    rmSync(dir, { recursive: true, force: true });
  }
});

test.serial('as another user than the server, /proc/<pid>/root is denied: the exporter says why and serves the rest', async (t) => {
  if (reason) return cannotRunHere(t, reason);
  const dir = mkdtempSync(path.join(tmpdir(), 'cgroup-ns-'));
  const cgroups = makeCgroups(`sidecar-cgns-nobody-${process.pid}`);
  const pod = await startPod(dir, cgroups, 'nobody');
  try {
    const text = await scrapeUntil(pod, (body) => body.includes('node_scrape_collector_success{collector="cgroup"}'));
    t.is(valueOf(text ?? '', 'node_scrape_collector_success{collector="cgroup"}'), 1, pod.output());
    t.false((text ?? '').includes('id="/../server"'));
    const logged = await (async () => {
      for (let i = 0; i < 40 && !pod.output().includes('CAP_SYS_PTRACE'); i++) await sleep(250);
      return pod.output();
    })();
    t.regex(logged, /level=WARN.*readable only through \/proc\/<pid>\/root, which is denied: run the exporter as the same user as those processes, or give it CAP_SYS_PTRACE.*cgroups=1/);
  } finally {
    await stopPod(pod);
    await cgroups.remove();
    rmSync(dir, { recursive: true, force: true });
  }
});
