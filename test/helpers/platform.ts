/** Fakes and a scrape loop for the platform (systeminformation fallback) tests. */
import { allFlags } from '../../src/options.js';
import type { Collector, CollectorFactory } from '../../src/collector/collector.js';
import { NodeCollector } from '../../src/collector/node-collector.js';
import { writeText } from '../../src/exposition/text.js';
import { parseFlags } from '../../src/cli/flags.js';
import { createLogger } from '../../src/lib/log.js';
import { HostPaths } from '../../src/hostfs/paths.js';
import type { FallbackDeps, HostOs, SystemInfoSource } from '../../src/platform/system-info.js';
import { testContext } from './collect.js';

/** A source whose every call fails the test unless the test supplied it: no real systeminformation call. */
export function fakeSi(calls: Partial<SystemInfoSource> = {}): SystemInfoSource {
  const unexpected = (name: string) => () => Promise.reject(new Error(`unexpected systeminformation ${name}() call`));
  return {
    system: calls.system ?? unexpected('system'),
    bios: calls.bios ?? unexpected('bios'),
    baseboard: calls.baseboard ?? unexpected('baseboard'),
    chassis: calls.chassis ?? unexpected('chassis'),
    cpu: calls.cpu ?? unexpected('cpu'),
    mem: calls.mem ?? unexpected('mem'),
    fsSize: calls.fsSize ?? unexpected('fsSize'),
    networkStats: calls.networkStats ?? unexpected('networkStats'),
  };
}

export function fakeDeps(over: Partial<FallbackDeps> = {}): FallbackDeps {
  const noOs: HostOs = {
    cpus: () => {
      throw new Error('unexpected os.cpus() call');
    },
    loadavg: () => {
      throw new Error('unexpected os.loadavg() call');
    },
  };
  return { si: fakeSi(), os: noOs, platform: 'darwin', refreshMs: 5_000, staticRetryMs: 60_000, callTimeoutMs: 30_000, ...over };
}

export interface Scrape {
  readonly text: string;
  readonly success: number | undefined;
}

/** One created collector, scraped as often as the test likes; `close()` it in teardown. */
export class Harness {
  readonly logs: string[] = [];
  readonly collector: Collector;
  private readonly node: NodeCollector;

  constructor(
    readonly factory: CollectorFactory,
    argv: readonly string[] = [],
    paths = new HostPaths(),
  ) {
    const log = createLogger('debug', 'logfmt', (line) => this.logs.push(line));
    const flags = parseFlags(allFlags([factory]), argv);
    this.collector = factory.create(testContext({ paths, flags, log: log.with({ collector: factory.name }) }));
    this.node = new NodeCollector(new Map([[factory.name, this.collector]]), log);
  }

  async scrape(): Promise<Scrape> {
    const families = await this.node.collect(5000);
    const success = families.find((f) => f.desc.name === 'node_scrape_collector_success')?.samples[0]?.value;
    const text = writeText(families.filter((f) => !f.desc.name.startsWith('node_scrape_collector_')));
    return { text, success };
  }

  /** Scrapes until `done` holds (the background refresh has landed), or fails after 2 s. */
  async scrapeUntil(done: (s: Scrape) => boolean): Promise<Scrape> {
    const deadline = Date.now() + 2000;
    for (;;) {
      const s = await this.scrape();
      if (done(s)) return s;
      if (Date.now() > deadline) throw new Error(`condition not met; last scrape:\n${s.text}\nlogs:\n${this.logs.join('\n')}`);
      await sleep(5);
    }
  }

  async close(): Promise<void> {
    await this.collector.close?.();
  }
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** A promise the test settles. */
export function deferred<T>(): { promise: Promise<T>; resolve: (v: T) => void; reject: (e: Error) => void } {
  let resolve!: (v: T) => void;
  let reject!: (e: Error) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}
