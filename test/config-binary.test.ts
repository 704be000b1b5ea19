/** The config file through the real binary: a broken file stops it before listening; a broken reload keeps the old one. */
import test from 'ava';
import http from 'node:http';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { runToExit, startExporter } from './helpers/exporters.js';

function post(port: number, urlPath: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: urlPath, method: 'POST', timeout: 10_000 }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end();
  });
}

async function tempDir(t: import('ava').ExecutionContext): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'config-binary-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

test('a broken config file is exit status 2 with one located message, before listening', async (t) => {
  const dir = await tempDir(t);
  const file = path.join(dir, 'sidecar.yml');
  await writeFile(file, 'checks:\n  - protocol: http\n    target: ftp://x\n');
  const r = await runToExit('ours', [`--config.file=${file}`, '--web.listen-address=127.0.0.1:0']);
  t.is(r.code, 2);
  t.regex(r.stderr, /level=ERROR msg="invalid config: .*sidecar\.yml: checks\[0\]\.target: must be an http:\/\/ or https:\/\/ URL \(line 3, column 13\)"/);
  t.notRegex(r.stderr, /Listening on/);
  const missing = await runToExit('ours', [`--config.file=${path.join(dir, 'nope.yml')}`, '--web.listen-address=127.0.0.1:0']);
  t.is(missing.code, 2);
  t.regex(missing.stderr, /nope\.yml: cannot read the config file: no such file/);
});

test('POST /-/reload applies a valid file and refuses a broken one, keeping the running config', async (t) => {
  const dir = await tempDir(t);
  const file = path.join(dir, 'sidecar.yml');
  const check = (name: string) => `checks:\n  - {protocol: http, target: "http://127.0.0.1:1/", name: ${name}, interval: 1h}\n`;
  await writeFile(file, check('first'));
  const e = await startExporter('ours', [`--config.file=${file}`, '--collector.disable-defaults', '--collector.uptime']);
  t.teardown(() => e.stop());
  t.regex(await e.scrape(), /uptime_checks_total\{name="first"/);

  await writeFile(file, check('second'));
  const ok = await post(e.port, '/-/reload');
  t.is(ok.status, 200);
  const after = await e.scrape();
  t.regex(after, /uptime_checks_total\{name="second"/);
  t.notRegex(after, /name="first"/);

  await writeFile(file, 'checks: [\n');
  const bad = await post(e.port, '/-/reload');
  t.is(bad.status, 500);
  t.regex(bad.text, /^failed to reload config: .*sidecar\.yml: invalid YAML/);
  t.regex(await e.scrape(), /uptime_checks_total\{name="second"/, 'the running config stays');
  t.regex(e.output, /config reload failed; keeping the running config/);
  t.is((await e.get('/-/reload')).status, 405);
});
