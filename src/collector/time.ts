import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { desc } from '../exposition/model.js';
import type { Logger } from '../lib/log.js';
import { clocksourceDevices, parseAvailableClocksources, parseCurrentClocksource } from '../sysfs/clocksource.js';
import { UTC, localZoneFiles, parseTzif, zoneAt, type TimeZone } from '../gocompat/tzif.js';
import type { CollectorFactory } from './collector.js';
import type { HostFs } from '../hostfs/host-fs.js';
import type { MetricSink } from './sink.js';
import { isNotFound } from '../hostfs/errors.js';

const timeSeconds = desc('node_time_seconds', 'System time in seconds since epoch (1970).', 'gauge');
const zoneOffset = desc('node_time_zone_offset_seconds', 'System time zone offset in seconds.', 'gauge', ['time_zone']);
const clocksourceAvailable = desc(
  'node_time_clocksource_available_info',
  "Available clocksources read from '/sys/devices/system/clocksource'.",
  'gauge',
  ['device', 'clocksource'],
);
const clocksourceCurrent = desc(
  'node_time_clocksource_current_info',
  "Current clocksource read from '/sys/devices/system/clocksource'.",
  'gauge',
  ['device', 'clocksource'],
);

export interface TimeCollectorOptions {
  /** Wall-clock Unix time in seconds. */
  readonly now?: () => number;
  /** The TZ environment variable, undefined when unset. */
  readonly tzEnv?: () => string | undefined;
}

/** A time collector with its clock and TZ replaceable, so tests can pin both. */
export function makeTimeCollector(options: TimeCollectorOptions = {}): CollectorFactory {
  const now = options.now ?? wallClockSeconds;
  const tzEnv = options.tzEnv ?? (() => process.env['TZ']);
  return {
    name: 'time',
    defaultEnabled: true,
    create: ({ host, host: { paths }, log }) => {
      // Go reads the local zone once per process; so do we, per collector.
      let localZone: Promise<TimeZone> | undefined;
      return {
        async update(sink, signal) {
          const seconds = now();
          sink.add(timeSeconds, seconds);
          localZone ??= loadLocalZone(tzEnv(), log);
          const zone = zoneAt(await localZone, Math.floor(seconds));
          sink.add(zoneOffset, zone.offsetSeconds, zone.abbreviation);
          await addClocksources(sink, host, signal);
        },
      };
    },
  };
}

export const timeCollector = makeTimeCollector();

/**
 * Date.now() in seconds, with sub-millisecond digits from performance.now() while the two agree.
 * performance's clock is monotonic, so after a clock step or NTP slew it drifts from the wall
 * clock, which this metric must follow (clock-skew alerts compare it with Prometheus's time).
 */
export function wallClockSeconds(
  wallMs = Date.now(),
  preciseMs = performance.timeOrigin + performance.now(),
): number {
  return (preciseMs >= wallMs && preciseMs < wallMs + 1 ? preciseMs : wallMs) / 1000;
}

/** The first zone file of localZoneFiles that reads and parses; like Go, UTC if none does. */
async function loadLocalZone(tz: string | undefined, log: Logger): Promise<TimeZone> {
  for (const file of localZoneFiles(tz)) {
    try {
      return parseTzif(await readFile(file));
    } catch (err) {
      // Go falls back silently; a zone file that exists but is unusable deserves a word.
      if (!isNotFound(err)) log.warn('cannot load time zone file', { file, err });
    }
  }
  return UTC;
}

async function addClocksources(sink: MetricSink, host: HostFs, signal: AbortSignal): Promise<void> {
  const dir = host.paths.sys('devices/system/clocksource');
  // node_exporter globs this directory, and a glob ignores an unreadable or missing directory.
  const entries = await host.listDir(dir).catch(() => []);
  const devices = await Promise.all(
    clocksourceDevices(entries).map(async (name) => {
      const [available, current] = await Promise.all([
        host.parseFile(path.join(dir, name, 'available_clocksource'), parseAvailableClocksources, signal),
        host.parseFile(path.join(dir, name, 'current_clocksource'), parseCurrentClocksource, signal),
      ]);
      return { available, current };
    }),
  );
  // node_exporter labels a device by its position in the sorted list, not by its number.
  devices.forEach(({ available, current }, i) => {
    for (const clocksource of available) sink.add(clocksourceAvailable, 1, String(i), clocksource);
    sink.add(clocksourceCurrent, 1, String(i), current);
  });
}
