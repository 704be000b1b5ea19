/**
 * The Kubernetes example for real: deploy/kubernetes/example/sidecar-example.yaml run by
 * `podman kube play` with the images built from the repository's two Dockerfiles (on the local
 * stand-ins for the base images, test/containers/standin-images.sh), as a Deployment's pod: the
 * server and the sidecar in one pod sharing its PID namespace, the config from the ConfigMap,
 * non-root, read-only, no capabilities. It proves that the sidecar sees the server's process
 * group and its container's memory limit, that its ICMP check succeeds with no capability, and
 * that /-/healthy and /-/ready answer 200.
 *
 * What podman 4.3 does not take from the manifest, and how the run adapts (the manifest stays
 * what a cluster gets):
 * - pod securityContext.sysctls are ignored: the test's containers.conf sets the manifest's
 *   ping_group_range as a default sysctl of the pod's containers (the pod's own network
 *   namespace; the host's is untouched);
 * - a containerPort without a hostPort is published on the host's same port, on every address:
 *   a test-only copy of the manifest gives each port hostIP 127.0.0.1 and a free hostPort;
 * - probes: the livenessProbe becomes a podman health check running `curl` (not in the images)
 *   against port 0 (a named port is not resolved), and podman runs health checks only through
 *   systemd: the test logs podman's check and asks the probe's path over HTTP itself.
 * Traffic: the checks stay inside the pod (localhost); the test talks to 127.0.0.1 only.
 * Everything it starts is removed at the end, also after a failure; the images stay.
 */
import test, { type ExecutionContext } from 'ava';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pollFor } from '../helpers/wait.js';
import { parseAllDocuments, stringify as stringifyYaml } from 'yaml';
import { REPO_ROOT, freePort, isExecutable, runWithInput, type RunResult } from '../helpers/exporters.js';
import { parseExposition, type ParsedSample } from '../helpers/exposition-parse.js';
import { PODMAN_BIN, containersConf, missingContainerTools, subnetConflict } from '../helpers/podman.js';
import { cannotRunHere } from '../helpers/skip.js';

type Obj = Record<string, any>;

const MANIFEST = path.join(REPO_ROOT, 'deploy/kubernetes/example/sidecar-example.yaml');
const CATATONIT = '/usr/bin/catatonit';
const SIDECAR = 'sidecar-exporter';
const PING_SYSCTL = 'net.ipv4.ping_group_range';
/** The images' build contexts, by the name the manifest gives each container's image. */
const BUILD_CONTEXTS: Record<string, string> = { server: 'loadtest/server', [SIDECAR]: '.' };

const docs = parseAllDocuments(readFileSync(MANIFEST, 'utf8')).map((d) => d.toJS() as Obj);
const deployment = docs.find((d) => d['kind'] === 'Deployment') as Obj;
const podSpec = deployment['spec']['template']['spec'] as Obj;
const containerOf = (name: string): Obj => (podSpec['containers'] as Obj[]).find((c) => c['name'] === name) as Obj;
const pingRange = (podSpec['securityContext']['sysctls'] as Obj[]).find((s) => s['name'] === PING_SYSCTL)?.['value'] as string;

/** A short image name as the kubelet (and podman) reads it: docker.io/library/<name>. */
function qualified(image: string): string {
  const first = image.split('/')[0] ?? '';
  if (image.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost')) return image;
  return `docker.io/${image.includes('/') ? '' : 'library/'}${image}`;
}

/** "256Mi" in bytes (the manifest's memory limits use Mi). */
function mebibytes(q: string): number {
  const m = /^(\d+)Mi$/.exec(q);
  if (!m) throw new Error(`not in Mi: ${q}`);
  return Number(m[1]) * 1024 * 1024;
}

interface Run {
  dir: string;
  env: NodeJS.ProcessEnv;
  playFile: string;
  /** Host ports (127.0.0.1) by container port. */
  hostPorts: Map<number, number>;
  podId?: string;
}
let run: Run | undefined;
let notRun: string | undefined;

function ready(t: ExecutionContext): Run | undefined {
  if (run?.podId) return run;
  cannotRunHere(t, notRun ?? 'the pod did not start');
  return undefined;
}

function podman(r: Run, args: readonly string[], timeoutMs = 60_000): Promise<RunResult> {
  return runWithInput(PODMAN_BIN, args, '', timeoutMs, r.env);
}

function fail(what: string, r: RunResult): string {
  return `${what} failed (exit ${r.code}):\n${r.stdout.slice(-4000)}\n${r.stderr.slice(-4000)}`;
}

async function get(r: Run, containerPort: number, urlPath: string): Promise<{ status: number; body: string }> {
  const res = await fetch(`http://127.0.0.1:${r.hostPorts.get(containerPort)}${urlPath}`, { signal: AbortSignal.timeout(10_000) });
  return { status: res.status, body: await res.text() };
}

async function scrape(r: Run): Promise<ParsedSample[]> {
  const { status, body } = await get(r, 9100, '/metrics');
  if (status !== 200) throw new Error(`/metrics: HTTP ${status}`);
  return parseExposition(body).flatMap((f) => f.samples);
}

function value(samples: readonly ParsedSample[], name: string, labels: Record<string, string>): number | undefined {
  return samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
}

/** The pod's container names, by the manifest's container name. */
async function podContainer(r: Run, name: string): Promise<string> {
  const ps = await podman(r, ['ps', '-a', '--filter', `pod=${r.podId}`, '--format', '{{.Names}}']);
  const found = ps.stdout.split('\n').find((n) => n.endsWith(`-${name}`));
  if (!found) throw new Error(`no container ${name} in the pod: ${ps.stdout}`);
  return found;
}

/** Removes the pod: `podman kube down`, then the pod by name if anything is left. */
async function removePod(r: Run): Promise<void> {
  await podman(r, ['kube', 'down', r.playFile], 120_000);
  await podman(r, ['pod', 'rm', '--force', '--ignore', `${deployment['metadata']['name']}-pod-0`], 120_000);
}

test.before(async (t) => {
  t.timeout(20 * 60_000);
  const missing = [...missingContainerTools(), ...(isExecutable(CATATONIT) ? [] : [`${CATATONIT} (catatonit)`])];
  if (missing.length > 0) {
    notRun = `missing ${missing.join(', ')}; scripts/install-test-deps.sh installs them`;
    return;
  }
  if (process.getuid?.() !== 0) {
    notRun = 'podman runs the pod as root here; run the tests as root';
    return;
  }
  const conflict = await subnetConflict();
  if (conflict) throw new Error(conflict);

  const dir = mkdtempSync(path.join(tmpdir(), 'kube-play-'));
  const conf = path.join(dir, 'containers.conf');
  writeFileSync(conf, containersConf([`${PING_SYSCTL}=${pingRange}`]));
  const env = { ...process.env, CONTAINERS_CONF: conf };

  // The test-only copy: every container port published on 127.0.0.1, on a free port.
  const hostPorts = new Map<number, number>();
  const play = docs.map((d) => structuredClone(d));
  for (const c of (play.find((d) => d['kind'] === 'Deployment') as Obj)['spec']['template']['spec']['containers'] as Obj[]) {
    for (const p of c['ports'] as Obj[]) {
      const hostPort = await freePort();
      hostPorts.set(p['containerPort'], hostPort);
      Object.assign(p, { hostIP: '127.0.0.1', hostPort });
    }
  }
  const playFile = path.join(dir, 'sidecar-example.yaml');
  writeFileSync(playFile, play.map((d) => stringifyYaml(d)).join('---\n'));
  const r: Run = { dir, env, playFile, hostPorts };
  run = r;
  await removePod(r); // Leftovers of an interrupted run.

  const started = Date.now();
  const standins = await runWithInput(path.join(REPO_ROOT, 'test/containers/standin-images.sh'), [], '', 10 * 60_000, env);
  if (standins.code !== 0) throw new Error(fail('test/containers/standin-images.sh', standins));
  for (const [name, context] of Object.entries(BUILD_CONTEXTS)) {
    const tag = qualified(containerOf(name)['image']);
    const build = await podman(r, ['build', '--pull=never', '--format', 'docker', '--quiet', '-t', tag, path.join(REPO_ROOT, context)], 10 * 60_000);
    if (build.code !== 0) throw new Error(fail(`podman build -t ${tag} ${context}`, build));
  }
  t.log(`stand-ins and images ready in ${((Date.now() - started) / 1000).toFixed(0)} s`);

  const playStarted = Date.now();
  const up = await podman(r, ['kube', 'play', playFile], 5 * 60_000);
  if (up.code !== 0) throw new Error(fail('podman kube play', up));
  r.podId = /^Pod:\n([0-9a-f]{64})$/m.exec(up.stdout)?.[1];
  if (!r.podId) throw new Error(`no pod ID in podman kube play's output:\n${up.stdout}`);
  const isReady = await pollFor(120_000, async () => ((await get(r, 9100, '/-/ready')).status === 200 ? true : undefined));
  if (!isReady) {
    const logs = await podman(r, ['logs', await podContainer(r, SIDECAR)]);
    throw new Error(`the sidecar was not ready within 2 minutes:\n${logs.stdout.slice(-3000)}${logs.stderr.slice(-3000)}`);
  }
  t.log(`sidecar ready ${((Date.now() - playStarted) / 1000).toFixed(1)} s after podman kube play`);
});

test.after.always(async (t) => {
  if (!run) return;
  await removePod(run);
  const left = await podman(run, ['ps', '-a', '--filter', `name=${deployment['metadata']['name']}-pod`, '--format', '{{.Names}}']);
  if (left.stdout.trim()) t.log(`containers left behind: ${left.stdout}`);
  rmSync(run.dir, { recursive: true, force: true });
});

test.serial("the sidecar shows the server's process group and its container's memory limit", async (t) => {
  const r = ready(t);
  if (!r) return;
  const serverLimit = mebibytes(containerOf('server')['resources']['limits']['memory']);
  const samples = await pollFor(60_000, async () => {
    const s = await scrape(r);
    return (value(s, 'namedprocess_namegroup_num_procs', { groupname: 'server' }) ?? 0) >= 1 ? s : undefined;
  });
  t.truthy(samples, 'namedprocess_namegroup_num_procs{groupname="server"} >= 1 within 60 s');
  t.true((value(samples ?? [], 'namedprocess_namegroup_num_procs', { groupname: SIDECAR }) ?? 0) >= 1);
  // The server's container, through its /proc/<pid>/root (--collector.cgroup.pid-match).
  const limits = (samples ?? []).filter((s) => s.name === 'container_spec_memory_limit_bytes');
  t.true(limits.length >= 1, 'container_spec_memory_limit_bytes for the server');
  for (const s of limits) t.is(s.value, serverLimit, s.labels['id']);
  t.is(await podman(r, ['inspect', '--format', '{{.HostConfig.Memory}}', await podContainer(r, 'server')]).then((x) => Number(x.stdout.trim())), serverLimit);
});

test.serial("the ICMP check of 127.0.0.1 and the HTTP check of the server succeed under the pod's security context", async (t) => {
  const r = ready(t);
  if (!r) return;
  const succeeded = await pollFor(60_000, async () => {
    const s = await scrape(r);
    const icmp = value(s, 'uptime_checks_success_total', { protocol: 'icmp', target: '127.0.0.1' }) ?? 0;
    const http = value(s, 'uptime_checks_success_total', { protocol: 'http', target: 'http://localhost:8080/helloWorld' }) ?? 0;
    return icmp >= 1 && http >= 1 ? s : undefined;
  });
  t.truthy(succeeded, 'both checks succeeded within 60 s');
  t.is(value(succeeded ?? [], 'uptime_check_up', { protocol: 'icmp', target: '127.0.0.1' }), 1);
  t.is(value(succeeded ?? [], 'uptime_check_failures_total', { protocol: 'icmp', target: '127.0.0.1', reason: 'permission' }), 0);

  // What the sidecar runs under: uid 1000, no capability at all, no privilege escalation, a
  // read-only root, and the manifest's ping_group_range in the pod's network namespace.
  const sidecar = await podContainer(r, SIDECAR);
  const exec = (cmd: string[]) => podman(r, ['exec', sidecar, ...cmd]);
  t.is((await exec(['id', '-u'])).stdout.trim(), '1000');
  const status = (await exec(['cat', '/proc/self/status'])).stdout;
  t.regex(status, /^CapEff:\t0000000000000000$/m);
  t.regex(status, /^CapBnd:\t0000000000000000$/m);
  t.regex(status, /^NoNewPrivs:\t1$/m);
  t.is((await exec(['cat', `/proc/sys/${PING_SYSCTL.replaceAll('.', '/')}`])).stdout.trim().split(/\s+/).join(' '), pingRange);
  const write = await exec(['touch', '/app/written']);
  t.not(write.code, 0);
  t.regex(write.stderr, /Read-only file system/);
});

test.serial('/-/healthy and /-/ready answer 200; what podman made of the probes', async (t) => {
  const r = ready(t);
  if (!r) return;
  const probes = containerOf(SIDECAR);
  for (const probe of ['livenessProbe', 'readinessProbe']) {
    const p = probes[probe]['httpGet']['path'] as string;
    const res = await get(r, 9100, p);
    t.is(res.status, 200, `${p}: ${res.body}`);
  }
  const server = containerOf('server');
  t.is((await get(r, 8080, server['readinessProbe']['httpGet']['path'])).status, 200);
  // podman's own view: it turned the livenessProbe into a health check (see the header).
  const check = await podman(r, ['inspect', '--format', '{{json .Config.Healthcheck}}', await podContainer(r, SIDECAR)]);
  t.log(`podman's health check for the sidecar's livenessProbe: ${check.stdout.trim()}`);
  t.true(check.stdout.includes(probes['livenessProbe']['httpGet']['path']), 'podman took the livenessProbe path');
});

/**
 * The host agent: podman 4.3 plays Pods and Deployments but no DaemonSets, so a test-only copy
 * plays the DaemonSet's pod template as a Pod, unchanged but for the listen address (the host's
 * network: a free loopback port instead of :9100) and its port list (nothing to publish on the
 * host's network). It must read the host through its mounts: the host's root file system at
 * mountpoint "/" and, through hostPID, a process of this test under its own name.
 */
test.serial("the host agent DaemonSet's pod reads the host's /, /proc and processes through its mounts", async (t) => {
  const r = ready(t);
  if (!r) return;
  const agentDocs = parseAllDocuments(readFileSync(path.join(REPO_ROOT, 'deploy/kubernetes/host-agent/daemonset.yaml'), 'utf8')).map((d) => d.toJS() as Obj);
  const daemonSet = agentDocs.find((d) => d['kind'] === 'DaemonSet') as Obj;
  const spec = structuredClone(daemonSet['spec']['template']['spec']) as Obj;
  const port = await freePort();
  const agent = (spec['containers'] as Obj[])[0] as Obj;
  agent['args'] = (agent['args'] as string[]).map((a) => (a.startsWith('--web.listen-address=') ? `--web.listen-address=127.0.0.1:${port}` : a));
  delete agent['ports'];
  for (const probe of ['livenessProbe', 'readinessProbe']) delete agent[probe];
  const podName = 'sidecar-host-agent-test';
  const playFile = path.join(r.dir, 'host-agent-pod.yaml');
  writeFileSync(playFile, stringifyYaml({ apiVersion: 'v1', kind: 'Pod', metadata: { name: podName, labels: daemonSet['spec']['template']['metadata']['labels'] }, spec }));

  // A process of this test with a name of its own, for the agent to find through hostPID.
  const marker = path.join(r.dir, 'hostagentprobe');
  symlinkSync('/bin/sleep', marker);
  const sleeper = spawn(marker, ['300'], { stdio: 'ignore' });
  try {
    await podman(r, ['pod', 'rm', '--force', '--ignore', podName], 120_000);
    const up = await podman(r, ['kube', 'play', playFile], 5 * 60_000);
    t.is(up.code, 0, fail('podman kube play (host agent)', up));
    const text = await pollFor(60_000, async () => {
      const res = await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(10_000) });
      return res.status === 200 ? res.text() : undefined;
    });
    if (text === undefined) {
      const logs = await podman(r, ['logs', `${podName}-sidecar-exporter`]);
      t.fail(`the host agent did not serve /metrics within 60 s:\n${logs.stdout.slice(-3000)}${logs.stderr.slice(-3000)}`);
      return;
    }
    const samples = parseExposition(text).flatMap((f) => f.samples);
    const rootType = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').map((l) => l.split(' - ')).find(([before]) => before?.split(' ')[4] === '/')?.[1]?.split(' ')[0];
    t.truthy(rootType);
    t.true(samples.some((s) => s.name === 'node_filesystem_size_bytes' && s.labels['mountpoint'] === '/' && s.labels['fstype'] === rootType), `the host's / (${rootType}) at mountpoint "/"`);
    t.is(value(samples, 'namedprocess_namegroup_num_procs', { groupname: 'hostagentprobe' }), 1, 'a host process, seen through hostPID');
    t.true((value(samples, 'node_scrape_collector_success', { collector: 'cpu' }) ?? 0) === 1);
  } finally {
    sleeper.kill('SIGKILL');
    await podman(r, ['pod', 'rm', '--force', '--ignore', podName], 120_000);
  }
});
