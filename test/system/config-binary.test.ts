/** The config file through the real binary: a broken file stops it before listening; a broken reload keeps the old one. */
import test from 'ava';
import { waitFor } from '../helpers/wait.js';
import { execFileSync } from 'node:child_process';
import http from 'node:http';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { runToExit, startExporter } from '../helpers/exporters.js';

function post(port: number, urlPath: string, timeoutMs = 10_000): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: urlPath, method: 'POST', timeout: timeoutMs }, (res) => {
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
  await waitFor('the reloaded log line', () => e.output.includes('msg="config reloaded"'), 5000).catch(() => undefined);
  t.regex(e.output, /msg="config reloaded"/);
  // The same bytes again: nothing is applied, and the log says so rather than "reloaded".
  t.is((await post(e.port, '/-/reload')).status, 200);
  // The log line comes through the stderr pipe, maybe after the HTTP answer.
  await waitFor('the unchanged-file log line', () => e.output.includes('msg="config file unchanged; nothing to apply"'), 5000).catch(() => undefined);
  t.regex(e.output, /msg="config file unchanged; nothing to apply"/);
  t.is(e.output.match(/msg="config reloaded"/g)?.length, 1);

  await writeFile(file, 'checks: [\n');
  const bad = await post(e.port, '/-/reload');
  t.is(bad.status, 500);
  t.regex(bad.text, /^failed to reload config: .*sidecar\.yml: invalid YAML/);
  t.regex(await e.scrape(), /uptime_checks_total\{name="second"/, 'the running config stays');
  await waitFor('the reload-failed log line', () => e.output.includes('config reload failed; keeping the running config'), 5000).catch(() => undefined);
  t.regex(e.output, /config reload failed; keeping the running config/);
  t.is((await e.get('/-/reload')).status, 405);
});

test('a config file that is not a regular file, over 1 MiB or an alias bomb: exit status 2 at once, before listening', async (t) => {
  const dir = await tempDir(t);
  const fifo = path.join(dir, 'fifo.yml');
  execFileSync('mkfifo', [fifo]);
  const big = path.join(dir, 'big.yml');
  await writeFile(big, `# ${'x'.repeat(1024 * 1024)}\n`);
  const bomb = path.join(dir, 'bomb.yml');
  const levels = ['a: &a [x,x,x,x,x,x,x,x,x,x]'];
  for (let i = 1; i <= 8; i++) levels.push(`l${i}: &l${i} [${Array(10).fill(i === 1 ? '*a' : `*l${i - 1}`).join(',')}]`);
  await writeFile(bomb, levels.join('\n'));
  const cases: [string, RegExp][] = [
    // A FIFO used to block start-up for ever, waiting for a writer.
    [fifo, /fifo\.yml: cannot read the config file: it is a named pipe \(FIFO\), not a regular file"$/m],
    ['/dev/zero', /\/dev\/zero: cannot read the config file: it is a character device, not a regular file"$/m],
    [big, /big\.yml: the config file is larger than 1048576 bytes \(1 MiB\), the most supported"$/m],
    // It used to exit 1, as a start-up failure rather than a bad config.
    [bomb, /bomb\.yml: invalid YAML: Excessive alias count/],
  ];
  for (const [file, message] of cases) {
    const r = await runToExit('ours', [`--config.file=${file}`, '--web.listen-address=127.0.0.1:0']);
    t.is(r.code, 2, file);
    // Once flags are parsed every line goes through the logger (logfmt by default).
    t.regex(r.stderr, /^time=\S+ level=ERROR msg="invalid config: /);
    t.regex(r.stderr, message);
    t.notRegex(r.stderr, /Listening on/);
  }
});

test('a reload of a file too deeply nested to parse is refused within the parser\'s memory; the exporter keeps serving', async (t) => {
  const dir = await tempDir(t);
  const file = path.join(dir, 'sidecar.yml');
  const config = 'checks:\n  - {protocol: http, target: "http://127.0.0.1:1/", name: kept, interval: 1h}\n';
  await writeFile(file, config);
  const e = await startExporter('ours', [`--config.file=${file}`, '--collector.disable-defaults', '--collector.uptime']);
  t.teardown(() => e.stop());
  // Parsed on the main thread, this took 1 GB and 8 s before failing.
  await writeFile(file, `x: ${'['.repeat(1024 * 1024 - 10)}\n`);
  const bad = await post(e.port, '/-/reload', 60_000);
  const peakKb = Number(/VmHWM:\s+(\d+) kB/.exec(await readFile(`/proc/${e.pid}/status`, 'utf8'))?.[1]);
  t.log(`peak resident memory ${Math.round(peakKb / 1024)} MB`);
  t.true(peakKb > 0 && peakKb < 450 * 1024, `peak ${peakKb} kB`);
  t.is(bad.status, 500);
  // Under heavy load the parse deadline may come before the heap limit; either way it is refused.
  t.regex(bad.text, /^failed to reload config: .*sidecar\.yml: (the config file needs more than 128 MB of memory to parse|parsing the config file took longer than 20 s)/);
  t.regex(await e.scrape(), /uptime_checks_total\{name="kept"/, 'the running config stays');
});
