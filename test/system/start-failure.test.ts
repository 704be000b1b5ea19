/**
 * Exit status of the real binary when start-up fails in a collector's create(): 2 only when it
 * refuses its configuration, 1 with a line that calls it a bug when it throws anything else.
 * The failing collector is added to the binary's registry by a module loader hook, so that
 * main.ts itself maps the error to the exit status.
 */
import test, { type ExecutionContext } from 'ava';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { OUR_MAIN, REPO_ROOT, runToExit, runWithInput } from '../helpers/exporters.js';

const COLLECTORS_URL = pathToFileURL(path.join(REPO_ROOT, 'build/src/collectors.js')).href;

/** Replaces build/src/collectors.js by the real lists plus `broken`, whose create() throws a TypeError. */
const HOOKS = `
export async function load(url, context, nextLoad) {
  if (url !== ${JSON.stringify(COLLECTORS_URL)}) return nextLoad(url, context);
  const source = \`
    import { collectorFactories as real, collectorFactoriesSharing as realSharing } from \${JSON.stringify(url + '?real')};
    const broken = {
      name: 'broken',
      defaultEnabled: false,
      create() {
        const missing = undefined;
        return missing.collector;
      },
    };
    export const collectorFactories = [...real, broken];
    export const collectorFactoriesSharing = (probes) => [...realSharing(probes), broken];
  \`;
  return { format: 'module', source, shortCircuit: true };
}
`;

async function withBrokenCollector(t: ExecutionContext): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'start-failure-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const hooks = path.join(dir, 'hooks.mjs');
  const register = path.join(dir, 'register.mjs');
  await writeFile(hooks, HOOKS);
  await writeFile(register, `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(hooks).href)});\n`);
  return register;
}

test('a collector whose create() throws a bug exits 1, and the log says it is a bug', async (t) => {
  const register = await withBrokenCollector(t);
  const args = ['--import', register, OUR_MAIN, '--collector.disable-defaults', '--web.listen-address=127.0.0.1:0'];
  const r = await runWithInput(process.execPath, [...args, '--collector.broken'], '', 15_000);
  t.is(r.code, 1, r.stderr);
  t.regex(r.stderr, /level=ERROR msg="start-up failed: a bug in the exporter.*" collector=broken err="TypeError: Cannot read properties of undefined/);
  t.notRegex(r.stderr, /Listening on/);
  // The other collectors are not to blame: the binary with the hook lists them, and broken.
  const help = await runWithInput(process.execPath, ['--import', register, OUR_MAIN, '--help'], '', 15_000);
  t.is(help.code, 0, help.stderr);
  t.regex(help.stdout, /collector\.broken\b/);
  t.regex(help.stdout, /collector\.loadavg\b/);
});

test('a collector refusing its flags exits 2 with the reason', async (t) => {
  const exclusive = await runToExit('ours', [
    '--web.listen-address=127.0.0.1:0',
    '--collector.netdev.device-include=^eth',
    '--collector.netdev.device-exclude=^lo',
  ]);
  t.is(exclusive.code, 2, exclusive.stderr);
  t.regex(exclusive.stderr, /collector netdev: --collector\.netdev\.device-include and --collector\.netdev\.device-exclude are mutually exclusive/);
  const timeout = await runToExit('ours', ['--web.listen-address=127.0.0.1:0', '--collector.filesystem.mount-timeout=0s']);
  t.is(timeout.code, 2, timeout.stderr);
  t.regex(timeout.stderr, /collector filesystem: --collector\.filesystem\.mount-timeout must be above 0/);
});
