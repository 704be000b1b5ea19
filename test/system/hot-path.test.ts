/**
 * The scrape path reads files; it never spawns a process (systeminformation, pidusage and ping
 * all spawn on Linux) and reads synchronously only memory-backed kernel files, which never block.
 */
import test from 'ava';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const SRC = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../src');
/** Folders and files that run while a scrape is served (src/probe is not: ICMP probes spawn ping, on the
 * uptime scheduler and on /probe, never within /metrics). */
const SCRAPE_PATH = ['collector', 'procfs', 'sysfs', 'exposition', 'process', 'cgroup', 'uptime', 'server', 'hostfs', 'lib/concurrency.ts'];

function sources(entry: string): string[] {
  const full = path.join(SRC, entry);
  let st;
  try {
    st = statSync(full);
  } catch {
    return [];
  }
  if (st.isFile()) return full.endsWith('.ts') ? [full] : [];
  return readdirSync(full).flatMap((e) => sources(path.join(entry, e)));
}

test('scrape-path sources import no process-spawning module and make no synchronous reads', (t) => {
  const files = SCRAPE_PATH.flatMap(sources);
  t.true(files.length >= 8, `found ${files.length} scrape-path sources`);
  const spawning = /from ['"](node:)?child_process['"]|from ['"](systeminformation|pidusage|ping)['"]|\b(execSync|spawnSync)\(/;
  const spawners = files.filter((f) => spawning.test(readFileSync(f, 'utf8'))).map((f) => path.relative(SRC, f));
  t.deepEqual(spawners, []);
  // Synchronous file system calls happen in three files only: host-fs.ts decides which files are
  // memory-backed, kernel-file.ts reads those, and user-file.ts's readRegularFileSync is called
  // by the textfile reader's worker thread, off the main thread.
  const syncCall = /\b(readFileSync|readdirSync|statSync|existsSync|openSync|readSync|statfsSync)\(/;
  const syncCallers = files.filter((f) => syncCall.test(readFileSync(f, 'utf8'))).map((f) => path.relative(SRC, f));
  t.deepEqual(syncCallers.sort(), ['hostfs/host-fs.ts', 'hostfs/kernel-file.ts', 'hostfs/user-file.ts']);
});
