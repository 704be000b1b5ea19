#!/usr/bin/env node
// @ts-check
/**
 * Compiles the sample server (loadtest/server/src) into build/loadtest/server when its output
 * is missing or older than its sources, using the repository's TypeScript (`npm ci` at the
 * root installs it, with express and prom-client). Prints the path of main.js.
 *
 *   node loadtest/build-server.mjs && node build/loadtest/server/main.js --listen 127.0.0.1:8080
 *
 * The container image builds the same sources with loadtest/server's own package.json.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SOURCES = join(REPO, 'loadtest/server/src');
const OUT = join(REPO, 'build/loadtest/server');
export const SERVER_MAIN = join(OUT, 'main.js');
/** Held while compiling, so parallel callers (test files run concurrently) do not interleave. */
const LOCK = join(REPO, 'build/loadtest/.server-build.lock');
const LOCK_WAIT_MS = 120_000;

function upToDate() {
  if (!existsSync(SERVER_MAIN)) return false;
  const built = statSync(SERVER_MAIN).mtimeMs;
  return readdirSync(SOURCES).every((f) => statSync(join(SOURCES, f)).mtimeMs <= built);
}

/** Returns the path of the compiled main.js, compiling first if needed. */
export function ensureServerBuilt() {
  if (upToDate()) return SERVER_MAIN;
  mkdirSync(dirname(LOCK), { recursive: true });
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    try {
      mkdirSync(LOCK);
      break;
    } catch (err) {
      if (/** @type {NodeJS.ErrnoException} */ (err).code !== 'EEXIST') throw err;
      if (Date.now() > deadline) {
        rmSync(LOCK, { recursive: true, force: true }); // left by a process that died
        continue;
      }
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 200);
      if (upToDate()) return SERVER_MAIN;
    }
  }
  try {
    if (upToDate()) return SERVER_MAIN;
    const tsc = join(REPO, 'node_modules/typescript/bin/tsc');
    if (!existsSync(tsc)) throw new Error('TypeScript is not installed: run `npm ci` at the repository root first');
    const r = spawnSync(process.execPath, [tsc, '-p', join(REPO, 'loadtest/server'), '--outDir', OUT], { cwd: REPO, encoding: 'utf8', timeout: 120_000 });
    if (r.status !== 0) throw new Error(`compiling loadtest/server failed:\n${r.stdout}${r.stderr}${r.error?.message ?? ''}`);
    return SERVER_MAIN;
  } finally {
    rmSync(LOCK, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  try {
    process.stdout.write(`${ensureServerBuilt()}\n`);
  } catch (err) {
    process.stderr.write(`build-server: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  }
}
