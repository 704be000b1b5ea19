/**
 * The launchers really start the exporter with their V8 flags: the bin executed as a program
 * (the kernel reads its `#!/usr/bin/env -S node ...` line, as after `npm install -g`), and
 * `npm start`. Checked on the running process: its command line, and its young generation
 * staying within the cap after a hundred scrapes (V8 grows it to 2 x 16 MB otherwise).
 * The image's ENTRYPOINT is checked the same way in test/serial/compose-stack.test.ts.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { chmodSync, readdirSync, readFileSync } from 'node:fs';
import http from 'node:http';
import test, { type ExecutionContext } from 'ava';
import { freePort, httpGet, OUR_MAIN, OUR_NODE_FLAGS, REPO_ROOT } from '../helpers/exporters.js';
import { youngGenerationCapBytes } from '../helpers/launcher.js';

const SCRAPES = 100;
const READY_MS = 15_000;

/** The process whose command line contains `marker` (a unique listen address), within READY_MS. */
async function processWith(marker: string): Promise<{ pid: number; argv: string[] }> {
  const deadline = Date.now() + READY_MS;
  while (Date.now() < deadline) {
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      let argv: string[];
      try {
        argv = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').filter(Boolean);
      } catch {
        continue;
      }
      if (argv.includes(marker) && argv.some((a) => a.endsWith('main.js')) && /(^|\/)node$/.test(argv[0] ?? '')) return { pid: Number(entry), argv };
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no node process with ${marker} within ${READY_MS} ms`);
}

async function waitUntilServing(port: number): Promise<void> {
  const deadline = Date.now() + READY_MS;
  while (!(await httpGet(port, '/', { timeoutMs: 1000 }).then(() => true, () => false))) {
    if (Date.now() > deadline) throw new Error(`nothing answers on port ${port} within ${READY_MS} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function checkLauncher(t: ExecutionContext, start: (listen: string) => ChildProcess): Promise<void> {
  const port = await freePort();
  const listen = `--web.listen-address=127.0.0.1:${port}`;
  const child = start(listen);
  let output = '';
  child.stdout?.on('data', (d) => (output += d));
  child.stderr?.on('data', (d) => (output += d));
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  let exporterPid: number | undefined;
  try {
    const exporter = await processWith(listen);
    exporterPid = exporter.pid;
    const flags = exporter.argv.slice(1, exporter.argv.findIndex((a) => a.endsWith('main.js')));
    t.deepEqual(flags, [...OUR_NODE_FLAGS], `command line: ${exporter.argv.join(' ')}`);
    await waitUntilServing(port);
    let text = '';
    for (let i = 0; i < SCRAPES; i++) {
      const res = await httpGet(port, '/metrics', { agent, timeoutMs: 10_000 });
      t.is(res.status, 200);
      text = res.text;
    }
    const newSpace = Number(/^nodejs_heap_space_size_total_bytes\{space="new"\} (\S+)$/m.exec(text)?.[1]);
    t.true(newSpace > 0 && newSpace <= youngGenerationCapBytes(OUR_NODE_FLAGS), `new space ${newSpace} bytes after ${SCRAPES} scrapes`);
  } catch (err) {
    t.log(output);
    throw err;
  } finally {
    agent.destroy();
    // npm forwards SIGTERM to its script; the exporter is signalled itself in case it does not.
    if (exporterPid !== undefined) process.kill(exporterPid, 'SIGTERM');
    child.kill('SIGTERM');
  }
}

test.serial('the bin, run as a program, starts node with its shebang flags', async (t) => {
  // What npm does to a package's bin when it links it.
  chmodSync(OUR_MAIN, 0o755);
  await checkLauncher(t, (listen) => spawn(OUR_MAIN, [listen], { stdio: ['ignore', 'pipe', 'pipe'] }));
});

test.serial('npm start starts node with the same flags', async (t) => {
  await checkLauncher(t, (listen) =>
    spawn('npm', ['start', '--silent', '--', listen], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'], detached: false }),
  );
});
