/**
 * Runs the project's real container files on a machine without a Docker engine: podman (with
 * runc) serves the Docker API on a socket of our own, and Debian's docker-compose drives it,
 * so compose.yml and the Dockerfiles are built and run unchanged. Settings the machine needs
 * go into a containers.conf of our own (CONTAINERS_CONF), never into /etc:
 * - runc: crun refuses a hybrid cgroup layout;
 * - default ulimits under the sandbox's hard limits (podman's own defaults exceed them);
 * - netavark, whose DNS (aardvark-dns) lets containers find each other by service name.
 * podman runs no HEALTHCHECK timers without systemd, so a pump runs the health checks of the
 * project's containers every few seconds, as Docker would; depends_on: service_healthy needs it.
 * Every command here is bounded in time.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { REPO_ROOT, isExecutable, runWithInput, type RunResult } from './exporters.js';

export const PODMAN_BIN = '/usr/bin/podman';
export const DOCKER_COMPOSE_BIN = '/usr/bin/docker-compose';

/** What the container test needs, each with the Debian package it comes from. */
export const CONTAINER_TOOLS: readonly (readonly [string, string])[] = [
  [PODMAN_BIN, 'podman'],
  ['/usr/sbin/runc', 'runc'],
  ['/usr/lib/podman/netavark', 'netavark'],
  ['/usr/lib/podman/aardvark-dns', 'aardvark-dns'],
  [DOCKER_COMPOSE_BIN, 'docker-compose'],
  ['/usr/bin/mmdebstrap', 'mmdebstrap'],
];

/** The tools that are missing, as "file (package)". */
export function missingContainerTools(): string[] {
  return CONTAINER_TOOLS.filter(([file]) => !isExecutable(file)).map(([file, pkg]) => `${file} (${pkg})`);
}

/**
 * The containers.conf of the container tests; `defaultSysctls` (as "name=value") go to every
 * container, for settings a test's runtime does not take from its input (podman 4.3's kube play
 * ignores a pod's securityContext.sysctls).
 */
export function containersConf(defaultSysctls: readonly string[] = []): string {
  const sysctls = defaultSysctls.length > 0 ? `default_sysctls = [${defaultSysctls.map((s) => JSON.stringify(s)).join(', ')}]\n` : '';
  return CONTAINERS_CONF.replace('[containers]\n', `[containers]\n${sysctls}`);
}

const CONTAINERS_CONF = `# Written by test/helpers/podman.ts for the container test.
[containers]
default_ulimits = ["nofile=10000:10000", "nproc=9000:9000"]
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
[network]
network_backend = "netavark"
`;

const SERVICE_READY_MS = 30_000;
/** netavark's default network, which image builds use to reach the package mirrors. */
const DEFAULT_SUBNET = '10.88.0.0/16';

/**
 * Why builds could not reach the network, or undefined: a bridge left by podman's CNI backend
 * (cni-podman0) holding netavark's default subnet takes the return route of every container on
 * that network, so builds time out resolving the package mirrors.
 */
export async function subnetConflict(): Promise<string | undefined> {
  const r = await runWithInput('/usr/sbin/ip', ['-o', 'route', 'show', DEFAULT_SUBNET], '', 10_000);
  const other = r.stdout.split('\n').map((l) => / dev (\S+)/.exec(l)?.[1]).find((dev) => dev !== undefined && dev !== 'podman0');
  return other === undefined ? undefined : `${other} holds ${DEFAULT_SUBNET}, netavark's default network (a leftover of podman's CNI backend?): remove it (ip link del ${other}) so that image builds can reach the package mirrors`;
}
const HEALTH_PUMP_INTERVAL_MS = 3_000;

/** GET on the Docker API socket; resolves with the status code, or undefined when nothing answers. */
function pingSocket(socket: string): Promise<number | undefined> {
  return new Promise((resolve) => {
    const req = http.get({ socketPath: socket, path: '/_ping', timeout: 2000 }, (res) => {
      res.resume();
      resolve(res.statusCode);
    });
    req.on('error', () => resolve(undefined));
    req.on('timeout', () => req.destroy());
  });
}

export class PodmanApi {
  private healthPump: NodeJS.Timeout | undefined;
  private pumping = false;

  private constructor(
    private readonly dir: string,
    private readonly service: ChildProcess,
    readonly env: NodeJS.ProcessEnv,
  ) {}

  /** Starts `podman system service` on a socket in a fresh folder and waits until it answers. */
  static async start(): Promise<PodmanApi> {
    const conflict = await subnetConflict();
    if (conflict) throw new Error(conflict);
    const dir = mkdtempSync(path.join(tmpdir(), 'podman-api-'));
    const conf = path.join(dir, 'containers.conf');
    writeFileSync(conf, CONTAINERS_CONF);
    const socket = path.join(dir, 'docker.sock');
    const env = { ...process.env, CONTAINERS_CONF: conf, DOCKER_HOST: `unix://${socket}`, COMPOSE_INTERACTIVE_NO_CLI: '1' };
    const service = spawn(PODMAN_BIN, ['system', 'service', '--time=0', `unix://${socket}`], { env, stdio: 'ignore' });
    const api = new PodmanApi(dir, service, env);
    const deadline = Date.now() + SERVICE_READY_MS;
    while (Date.now() < deadline) {
      if (service.exitCode !== null) break;
      if (existsSync(socket) && (await pingSocket(socket)) === 200) return api;
      await sleep(200);
    }
    await api.stop();
    throw new Error(`podman system service did not answer on ${socket} within ${SERVICE_READY_MS} ms`);
  }

  /** Runs podman with our settings. */
  podman(args: readonly string[], timeoutMs = 60_000): Promise<RunResult> {
    return runWithInput(PODMAN_BIN, args, '', timeoutMs, this.env);
  }

  /** Runs docker-compose against our API, from the repository root, on compose.yml as it is. */
  compose(project: string, args: readonly string[], timeoutMs = 120_000): Promise<RunResult> {
    return runWithInput(DOCKER_COMPOSE_BIN, ['--project-directory', REPO_ROOT, '-f', path.join(REPO_ROOT, 'compose.yml'), '-p', project, ...args], '', timeoutMs, this.env);
  }

  /** Runs a script of the repository with our settings (the stand-in images' builder). */
  script(file: string, timeoutMs: number): Promise<RunResult> {
    return runWithInput(path.join(REPO_ROOT, file), [], '', timeoutMs, this.env);
  }

  /** Names of the running containers of a Compose project. */
  async containers(project: string): Promise<string[]> {
    const r = await this.podman(['ps', '--filter', `label=com.docker.compose.project=${project}`, '--format', '{{.Names}}'], 30_000);
    return r.stdout.split('\n').filter(Boolean);
  }

  /** One field of `podman inspect`, by Go template; undefined when the object is not there. */
  async inspect(name: string, template: string): Promise<string | undefined> {
    const r = await this.podman(['inspect', '--format', template, name], 30_000);
    return r.code === 0 ? r.stdout.trim() : undefined;
  }

  /** Runs the health checks of the project's containers every few seconds, as Docker does. */
  pumpHealthChecks(project: string): void {
    this.stopHealthChecks();
    this.healthPump = setInterval(() => {
      if (this.pumping) return;
      this.pumping = true;
      void this.containers(project)
        .then((names) => Promise.all(names.map((n) => this.podman(['healthcheck', 'run', n], 20_000).catch(() => undefined))))
        .catch(() => undefined)
        .finally(() => (this.pumping = false));
    }, HEALTH_PUMP_INTERVAL_MS);
  }

  stopHealthChecks(): void {
    if (this.healthPump) clearInterval(this.healthPump);
    this.healthPump = undefined;
  }

  /**
   * Removes everything a Compose project made: containers (those that joined another's PID
   * namespace first: podman refuses to remove a namespace's owner while others use it),
   * networks and volumes.
   */
  async removeProject(project: string, joinersFirst: readonly string[]): Promise<RunResult> {
    for (const service of joinersFirst) await this.compose(project, ['rm', '--stop', '--force', service], 120_000);
    return this.compose(project, ['down', '--volumes', '--remove-orphans', '--timeout', '5'], 180_000);
  }

  async stop(): Promise<void> {
    this.stopHealthChecks();
    if (this.service.exitCode === null) {
      const exited = new Promise((resolve) => this.service.once('exit', resolve));
      this.service.kill('SIGTERM');
      await Promise.race([exited, sleep(10_000)]);
      if (this.service.exitCode === null) this.service.kill('SIGKILL');
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
