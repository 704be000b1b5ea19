/**
 * The folders of src/ are layers (README "Design"): a module imports from its own layer or the
 * ones below it, never from above. This test reads every import in src/ and names each one
 * that goes up, so a helper placed in the wrong folder fails here rather than in review.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';

const SRC = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../src');

/** Bottom to top; '.' is the top of src/ itself: the entry point and the wiring. */
export const LAYERS: readonly (readonly string[])[] = [
  ['gocompat', 'lib', 'cli'],
  ['procfs', 'sysfs', 'exposition'],
  ['hostfs'],
  ['cgroup', 'statfs', 'process', 'textfile', 'config'],
  ['collector', 'probe'],
  ['uptime', 'platform'],
  ['server'],
  ['.'],
];

function layerOf(file: string): number {
  const folder = path.dirname(path.relative(SRC, file)).split(path.sep)[0] as string;
  const layer = LAYERS.findIndex((folders) => folders.includes(folder));
  if (layer === -1) throw new Error(`src/${folder}/ is in no layer: add it to LAYERS and to the README's "Design"`);
  return layer;
}

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    return e.isDirectory() ? sources(full) : e.name.endsWith('.ts') ? [full] : [];
  });
}

const IMPORT = /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s+['"](\.[^'"]+)['"]|import\(\s*['"](\.[^'"]+)['"]\s*\)/g;

/** Relative imports of `file` that resolve to a module in a higher layer. */
function upwardImports(file: string, text = readFileSync(file, 'utf8')): string[] {
  const own = layerOf(file);
  const found: string[] = [];
  for (const m of text.matchAll(IMPORT)) {
    const spec = (m[1] ?? m[2]) as string;
    const target = path.resolve(path.dirname(file), spec).replace(/\.js$/, '.ts');
    const layer = layerOf(target);
    if (layer > own) found.push(`src/${path.relative(SRC, file)} imports src/${path.relative(SRC, target)} (layer ${own} → ${layer})`);
  }
  return found;
}

test('no module in src/ imports from a layer above its own', (t) => {
  const files = sources(SRC);
  t.true(files.length > 100, `read ${files.length} sources`);
  t.deepEqual(files.flatMap((f) => upwardImports(f)), []);
});

test('the layer check names an upward import, multi-line and dynamic ones too, and lets downward ones pass', (t) => {
  const collector = path.join(SRC, 'collector', 'example.ts');
  const text = [
    "import { desc } from '../exposition/model.js';",
    "import type { CollectorFactory } from './collector.js';",
    "import {\n  startServer,\n} from '../server/http-server.js';",
    "const routes = await import('../exporter.js');",
  ].join('\n');
  t.deepEqual(upwardImports(collector, text), [
    'src/collector/example.ts imports src/server/http-server.ts (layer 4 → 6)',
    'src/collector/example.ts imports src/exporter.ts (layer 4 → 7)',
  ]);
  t.throws(() => layerOf(path.join(SRC, 'nowhere', 'x.ts')), { message: /src\/nowhere\/ is in no layer/ });
});
