/**
 * What the exporter loads on its main thread: the YAML parser and the schema validator (zod)
 * only in the config parse worker, bcrypt only in its worker, systeminformation and pidusage
 * only on platforms without /proc. A module hook logs every package the main thread resolves
 * while the exporter starts with a config file (checks of each protocol, /probe modules) and a
 * web config, and serves a scrape.
 */
import test from 'ava';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { OUR_MAIN, freePort, httpGet } from '../helpers/exporters.js';
import { htpasswdHash } from '../helpers/pki.js';
import { waitFor } from '../helpers/wait.js';

const MARK = 'main-thread-package:';

test('the main thread loads neither the YAML parser, nor zod, nor bcrypt, nor the other platforms\' libraries', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'main-modules-'));
  const hook = path.join(dir, 'hook.mjs');
  writeFileSync(
    hook,
    `export async function resolve(spec, ctx, next) {
  const r = await next(spec, ctx);
  const m = /node_modules\\/((?:@[^/]+\\/)?[^/]+)/.exec(r.url);
  if (m) process._rawDebug('${MARK}' + m[1]);
  return r;
}
`,
  );
  const register = path.join(dir, 'register.mjs');
  writeFileSync(register, `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(hook).href)});\n`);
  const config = path.join(dir, 'sidecar.yml');
  writeFileSync(
    config,
    `process_names:
  - name: '{{.Comm}}'
    cmdline: ['.+']
checks:
  - {protocol: http, target: 'http://127.0.0.1:1/', interval: 60s}
  - {protocol: tcp, target: '127.0.0.1:1', interval: 60s}
  - {protocol: dns, target: '127.0.0.1:1', query_name: a.test, interval: 60s}
modules:
  http_2xx: {prober: http}
  dns_a: {prober: dns, dns: {query_name: a.test, query_type: A}}
`,
  );
  const web = path.join(dir, 'web.yml');
  writeFileSync(web, `basic_auth_users:\n  alice: '${htpasswdHash('alice', 'secret1', 4)}'\n`);
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', register, OUR_MAIN, `--web.listen-address=127.0.0.1:${port}`, `--config.file=${config}`, `--web.config.file=${web}`, '--no-collector.timex'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  t.teardown(() => child.kill('SIGKILL'));
  await waitFor('the exporter to listen', () => stderr.includes('Listening on'), 20_000);
  const auth = { Authorization: `Basic ${Buffer.from('alice:secret1').toString('base64')}` };
  t.is((await httpGet(port, '/metrics', { headers: auth, timeoutMs: 20_000 })).status, 200);
  const packages = new Set([...stderr.matchAll(new RegExp(`${MARK}(\\S+)`, 'g'))].map((m) => m[1]));
  t.log(`main-thread packages: ${[...packages].sort().join(', ')}`);
  t.true(packages.has('prom-client'), 'the hook sees the packages the main thread loads');
  for (const absent of ['yaml', 'zod', 'bcryptjs', 'systeminformation', 'pidusage']) t.false(packages.has(absent), absent);
});
