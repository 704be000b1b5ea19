/** The README stays true: its set-up lines, and a collector table that matches the registry. */
import test from 'ava';
import { readFileSync } from 'node:fs';
import { allFlags, withNodeExporterFlags } from '../../src/options.js';
import { collectorFactories } from '../../src/collectors.js';
import { probeFlags } from '../../src/server/probe-routes.js';
import { fixture } from '../helpers/collect.js';

const README = readFileSync(fixture('..', '..', 'README.md'), 'utf8');

test('the README opens with the start and test command lines', (t) => {
  const block = /^# sidecar-exporter\n\n```sh\n([^\n]+)\n([^\n]+)\n```/.exec(README);
  t.truthy(block, 'a code block of two lines right under the title');
  t.regex(block?.[1] ?? '', /^npm ci && npm start\b/);
  t.regex(block?.[2] ?? '', /npm ci && npm test\b/);
  // As written for root and non-root alike: the script raises privileges itself, and a root
  // shell or a container often has no sudo.
  t.regex(block?.[2] ?? '', /^scripts\/install-test-deps\.sh && /);
});

test('the collector table lists every collector with its default state and flags', (t) => {
  const rows = new Map<string, string[]>();
  for (const m of README.matchAll(/^\| ([a-z_]+) \| (on|off) \| [^|]+ \| ([^\n]*) \|$/gm)) {
    rows.set(m[1] as string, [m[2] as string, m[3] as string]);
  }
  for (const f of collectorFactories) {
    const row = rows.get(f.name);
    t.truthy(row, `${f.name} is in the table`);
    t.is(row?.[0], f.defaultEnabled ? 'on' : 'off', `${f.name}'s default`);
    for (const flag of f.flags ?? []) t.true(row?.[1]?.includes(`\`--${flag.name}\``), `${f.name} lists --${flag.name}`);
  }
  t.is(rows.size, collectorFactories.length, 'no collector in the table that the exporter lacks');
});

test('every flag the README mentions exists', (t) => {
  // Ours, and node_exporter's that are accepted and ignored.
  const known = new Set(withNodeExporterFlags([...allFlags(collectorFactories), ...probeFlags]).map((s) => s.name));
  for (const m of README.matchAll(/`--(?:no-)?([a-z][a-z0-9._-]*[a-z0-9])(?:=[^`]*)?`/g)) {
    const name = m[1] as string;
    if (name === 'collector.<name>' || name === 'help' || name === 'version') continue;
    if (/^(path|web|collector|checks|probe|log|scrape|config|runtime)\./.test(name)) t.true(known.has(name), `--${name} is a flag`);
  }
});

test('the Compose health claim names the services the container test waits for', (t) => {
  const claimed = /^docker compose ps +# ([a-z, ]+) "healthy" within about 30 s of starting$/m.exec(README)?.[1];
  t.truthy(claimed, 'the docker compose ps line');
  const stackTest = readFileSync(fixture('..', 'serial', 'compose-stack.test.ts'), 'utf8');
  const waited = /const HEALTH_CHECKED = \[([^\]]*)\]/.exec(stackTest)?.[1]?.match(/'([a-z]+)'/g)?.map((q) => q.slice(1, -1));
  t.deepEqual(claimed?.split(/, /).sort(), waited?.sort());
});
