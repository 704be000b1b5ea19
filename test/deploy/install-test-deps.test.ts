/**
 * scripts/install-test-deps.sh, run against stand-in commands (dpkg-query, systemctl, id, sudo)
 * first on PATH: it installs nothing here, and checks what it asks the init system and sudo.
 */
import test from 'ava';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { REPO_ROOT, runWithInput } from '../helpers/exporters.js';

const SCRIPT = path.join(REPO_ROOT, 'scripts/install-test-deps.sh');

/** A folder of stand-in commands that log their arguments to `calls`. */
function standIns(commands: Record<string, string>): { dir: string; calls: () => string[]; remove: () => void } {
  const dir = mkdtempSync(path.join(tmpdir(), 'install-deps-'));
  const log = path.join(dir, 'calls.log');
  writeFileSync(log, '');
  for (const [name, body] of Object.entries(commands)) {
    const file = path.join(dir, name);
    writeFileSync(file, `#!/bin/bash\necho "${name} $*" >> ${log}\n${body}\n`);
    chmodSync(file, 0o755);
  }
  return { dir, calls: () => readFileSync(log, 'utf8').split('\n').filter(Boolean), remove: () => rmSync(dir, { recursive: true, force: true }) };
}

const installed = 'echo "install ok installed"';
/** systemd running, with Debian's node_exporter service enabled and the others not. */
const systemd = `case "$1" in
  is-system-running) echo running ;;
  is-enabled|is-active) [ "$3" = prometheus-node-exporter ] ;;
  *) exit 0 ;;
esac`;

test('with every package there, the services Debian enabled are stopped and disabled (node_exporter would hold :9100)', async (t) => {
  const fake = standIns({ 'dpkg-query': installed, systemctl: systemd, id: 'echo 0' });
  t.teardown(fake.remove);
  const r = await runWithInput(SCRIPT, [], '', 30_000, { ...process.env, PATH: `${fake.dir}:${process.env['PATH']}` });
  t.is(r.code, 0, r.stderr);
  t.regex(r.stdout, /all \d+ packages are installed/);
  t.regex(r.stdout, /stopping and disabling the prometheus-node-exporter service/);
  const disabled = fake.calls().filter((c) => c.startsWith('systemctl disable'));
  t.deepEqual(disabled, ['systemctl disable --now prometheus-node-exporter']);
});

test('not root: the script raises privileges itself with sudo, so the README line needs no sudo of its own', async (t) => {
  const fake = standIns({ 'dpkg-query': installed, systemctl: systemd, id: 'echo 1000', sudo: '"$@"' });
  t.teardown(fake.remove);
  const r = await runWithInput(SCRIPT, [], '', 30_000, { ...process.env, PATH: `${fake.dir}:${process.env['PATH']}` });
  t.is(r.code, 0, r.stderr);
  t.true(fake.calls().includes('sudo systemctl disable --now prometheus-node-exporter'));
});

test('without an init system running services (a container), nothing is stopped', async (t) => {
  const fake = standIns({ 'dpkg-query': installed, systemctl: 'echo offline; exit 1', id: 'echo 0' });
  t.teardown(fake.remove);
  const r = await runWithInput(SCRIPT, [], '', 30_000, { ...process.env, PATH: `${fake.dir}:${process.env['PATH']}` });
  t.is(r.code, 0, r.stderr);
  t.false(fake.calls().some((c) => c.startsWith('systemctl disable')));
  t.notRegex(r.stdout, /stopping/);
});
