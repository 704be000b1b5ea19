/**
 * What a config file may hold, and what parsing one may cost. Far above what a sidecar needs
 * (hundreds of rules or checks at most), low enough that a mistaken or hostile file cannot
 * exhaust memory: YAML parsing costs about 100 bytes of heap per byte of dense input.
 */

/** Largest config file read, in bytes (1 MiB). */
export const MAX_CONFIG_FILE_BYTES = 1024 * 1024;

/** Entries of each list in the file, and what one entry is called in messages. */
export const MAX_CONFIG_ENTRIES = {
  /** Each rule is tried against every new process. */
  process_names: { max: 1000, what: 'rules' },
  /** Each check adds about 34 series (23 plus one per histogram bucket) and runs on its own schedule. */
  checks: { max: 1000, what: 'checks' },
  modules: { max: 1000, what: 'modules' },
} as const;

/** Heap of the worker thread that parses a file; a file that needs more is refused. */
export const PARSE_HEAP_MB = 128;

/** Time a parse may take before the worker is stopped and the file refused. */
export const PARSE_TIMEOUT_MS = 20_000;
