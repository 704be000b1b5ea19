/**
 * The uptime collector: owns the background scheduler of the `checks:` in --config.file and,
 * on scrape, serves what the checks last measured (it never runs a check itself). Without
 * checks it adds nothing.
 *
 * Two names for one feature, both part of the user's contract: what is configured is a
 * "check" (the `checks:` list of the config file, the --checks.* flags, a CheckConfig), and
 * what is served is "uptime" (the collector's name, --collector.uptime, the uptime_check_*
 * families). A check is probed by the same probers as blackbox's /probe (src/probe/probers.ts);
 * the scheduler (scheduler.ts) runs each check on its interval and keeps its counters
 * (check-metrics.ts), which metrics.ts writes at scrape time.
 */
import { defineFlag, type FlagSpec } from '../cli/flags.js';
import { DEFAULT_DURATION_BUCKETS, MAX_DURATION_BUCKETS, parseDurationBuckets } from './buckets.js';
import { leLabels, writeUptimeMetrics } from './metrics.js';
import { ProbeEnvironment } from '../probe/environment.js';
import { probeRunners } from './probe-runners.js';
import { type RunnerFactory, type SchedulerClock, UptimeScheduler } from './scheduler.js';
import type { CollectorContext, CollectorFactory } from '../collector/collector.js';

export const MAX_CONCURRENCY_FLAG = defineFlag({
  name: 'checks.max-concurrency',
  kind: 'int',
  default: '16',
  min: 1,
  help: 'Maximum number of scheduled uptime checks running at once; more wait for a slot.',
});
export const DURATION_BUCKETS_FLAG = defineFlag({
  name: 'checks.duration-buckets',
  kind: 'string',
  default: DEFAULT_DURATION_BUCKETS.join(','),
  help: `Upper bounds in seconds of the uptime_check_duration_seconds histogram buckets, comma-separated (at most ${MAX_DURATION_BUCKETS}).`,
});
export const uptimeFlags: readonly FlagSpec[] = [MAX_CONCURRENCY_FLAG, DURATION_BUCKETS_FLAG];

/** How checks are run: the real probers, or fakes in tests. */
export type RunnersFor = (ctx: CollectorContext) => RunnerFactory;

/** The collector with the given way of running checks (and clock, for tests). */
export function makeUptimeCollector(runnersFor: RunnersFor, clock?: SchedulerClock): CollectorFactory {
  return {
    name: 'uptime',
    defaultEnabled: true,
    flags: uptimeFlags,
    create(ctx) {
      let buckets: number[];
      try {
        buckets = parseDurationBuckets(ctx.flags.get(DURATION_BUCKETS_FLAG));
      } catch (err) {
        throw new Error(`--checks.duration-buckets: ${(err as Error).message}`);
      }
      // Every check's histogram has these buckets: their `le` labels are formatted once, here.
      const les = leLabels(buckets);
      const scheduler = new UptimeScheduler({
        maxConcurrency: ctx.flags.get(MAX_CONCURRENCY_FLAG),
        buckets,
        runnerFor: runnersFor(ctx),
        log: ctx.log,
        ...(clock ? { clock } : {}),
      });
      scheduler.apply(ctx.config.current.checks);
      ctx.config.onChange((next) => {
        const summary = scheduler.apply(next.checks);
        ctx.log.info('uptime checks reloaded', { ...summary });
      });
      return {
        async update(sink) {
          writeUptimeMetrics(sink, scheduler.checks(), les);
        },
        close: () => scheduler.close(),
      };
    },
  };
}

/** The collector whose checks probe within `env`: the wiring passes the one /probe uses too. */
export function uptimeCollectorSharing(env: ProbeEnvironment): CollectorFactory {
  return makeUptimeCollector((ctx) => probeRunners(env, ctx));
}

/** The collector with a ProbeEnvironment of its own per instance, where no /probe runs beside it. */
export const uptimeCollector: CollectorFactory = makeUptimeCollector((ctx) => probeRunners(new ProbeEnvironment(), ctx));
