/**
 * The three ways users start the exporter pass it the same Node flags: the bin (main.js's
 * `#!/usr/bin/env -S node ...` line), `npm start`, and the image's ENTRYPOINT. The flags size
 * V8's heap (README "Benchmarks"); a launcher without them serves the same metrics from a heap
 * twice the size, which no other test would notice.
 */
import test from 'ava';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { launcherNodeFlags, OUR_NODE_FLAGS, REPO_ROOT } from '../helpers/exporters.js';

const read = (file: string): string => readFileSync(path.join(REPO_ROOT, file), 'utf8');

test('main.ts starts with an env -S shebang whose flags cap the young generation', (t) => {
  const flags = launcherNodeFlags(read('src/main.ts'));
  t.deepEqual(flags, [...OUR_NODE_FLAGS], 'the compiled main.js keeps the source shebang');
  t.true(flags.some((f) => /^--max-semi-space-size=\d+$/.test(f)), flags.join(' '));
});

test('npm start runs main.js with the shebang flags', (t) => {
  const start = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts['start'];
  t.is(start, ['node', ...OUR_NODE_FLAGS, 'build/src/main.js'].join(' '));
});

test("the image's ENTRYPOINT runs main.js with the shebang flags", (t) => {
  const entrypoint = /^ENTRYPOINT (\[.*\])$/m.exec(read('Dockerfile'))?.[1];
  t.truthy(entrypoint, 'Dockerfile has an exec-form ENTRYPOINT');
  t.deepEqual(JSON.parse(entrypoint as string), ['node', ...OUR_NODE_FLAGS, 'build/src/main.js']);
});

test('launcherNodeFlags reads both shebang forms and refuses other first lines', (t) => {
  t.deepEqual(launcherNodeFlags('#!/usr/bin/env node\nx'), []);
  t.deepEqual(launcherNodeFlags('#!/usr/bin/env -S node --a=1 --b\nx'), ['--a=1', '--b']);
  t.throws(() => launcherNodeFlags('// no shebang\n'), { message: /not a node shebang/ });
});
