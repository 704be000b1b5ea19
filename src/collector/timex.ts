/**
 * node_exporter's timex collector: the kernel's clock discipline from adjtimex(2), the series
 * node-mixin's clock alerts and the "System Timesync" row of Node Exporter Full read. Where the
 * call cannot be made (no koffi binary, another platform, a seccomp filter refusing it), the
 * collector says so once and reports node_scrape_collector_success 0, never failing the exporter.
 */
import { desc } from '../exposition/model.js';
import { AdjtimexError, STA_NANO, TIME_ERROR, loadAdjtimex, type Adjtimex, type AdjtimexReading } from '../hostfs/adjtimex.js';
import { NoDataError } from '../hostfs/errors.js';
import type { Logger } from '../lib/log.js';
import type { CollectorFactory } from './collector.js';
import type { MetricSink } from './sink.js';

const NANOSECONDS = 1e9;
const MICROSECONDS = 1e6;
/** ppm scaled by 2^16 (adjtimex(2), NOTES), as a ratio. */
const PPM16_FRAC = 1e6 * 65536;

const gauge = (name: string, help: string) => desc(`node_timex_${name}`, help, 'gauge');
const counter = (name: string, help: string) => desc(`node_timex_${name}`, help, 'counter');

const D = {
  syncStatus: gauge('sync_status', 'Is clock synchronized to a reliable server (1 = yes, 0 = no).'),
  offset: gauge('offset_seconds', 'Time offset in between local system and reference clock.'),
  freq: gauge('frequency_adjustment_ratio', 'Local clock frequency adjustment.'),
  maxerror: gauge('maxerror_seconds', 'Maximum error in seconds.'),
  esterror: gauge('estimated_error_seconds', 'Estimated error in seconds.'),
  status: gauge('status', 'Value of the status array bits.'),
  constant: gauge('loop_time_constant', 'Phase-locked loop time constant.'),
  tick: gauge('tick_seconds', 'Seconds between clock ticks.'),
  ppsfreq: gauge('pps_frequency_hertz', 'Pulse per second frequency.'),
  jitter: gauge('pps_jitter_seconds', 'Pulse per second jitter.'),
  shift: gauge('pps_shift_seconds', 'Pulse per second interval duration.'),
  stabil: gauge('pps_stability_hertz', 'Pulse per second stability, average of recent frequency changes.'),
  jitcnt: counter('pps_jitter_total', 'Pulse per second count of jitter limit exceeded events.'),
  calcnt: counter('pps_calibration_total', 'Pulse per second count of calibration intervals.'),
  errcnt: counter('pps_error_total', 'Pulse per second count of calibration errors.'),
  stbcnt: counter('pps_stability_exceeded_total', 'Pulse per second count of stability limit exceeded events.'),
  tai: gauge('tai_offset_seconds', 'International Atomic Time (TAI) offset.'),
};

/** The series of one adjtimex reading, with node_exporter's unit conversions. */
export function addTimexSamples(sink: MetricSink, { state, timex }: AdjtimexReading): void {
  // node_exporter looks at the returned state only, not at STA_UNSYNC: the kernel returns
  // TIME_ERROR for that bit and for PPS faults alike.
  sink.add(D.syncStatus, state === TIME_ERROR ? 0 : 1);
  const divisor = (timex.status & STA_NANO) !== 0 ? NANOSECONDS : MICROSECONDS;
  sink.add(D.offset, timex.offset / divisor);
  sink.add(D.freq, 1 + timex.freq / PPM16_FRAC);
  // maxerror, esterror and tick are microseconds whatever STA_NANO says.
  sink.add(D.maxerror, timex.maxerror / MICROSECONDS);
  sink.add(D.esterror, timex.esterror / MICROSECONDS);
  sink.add(D.status, timex.status);
  sink.add(D.constant, timex.constant);
  sink.add(D.tick, timex.tick / MICROSECONDS);
  sink.add(D.ppsfreq, timex.ppsfreq / PPM16_FRAC);
  sink.add(D.jitter, timex.jitter / divisor);
  sink.add(D.shift, timex.shift);
  sink.add(D.stabil, timex.stabil / PPM16_FRAC);
  sink.add(D.jitcnt, timex.jitcnt);
  sink.add(D.calcnt, timex.calcnt);
  sink.add(D.errcnt, timex.errcnt);
  sink.add(D.stbcnt, timex.stbcnt);
  sink.add(D.tai, timex.tai);
}

/** errno values that mean "not allowed here" (a seccomp filter, a sandbox), not a fault. */
const REFUSED = new Set(['EPERM', 'EACCES', 'ENOSYS']);

export interface TimexCollectorOptions {
  /** Binds the system call; tests pass one that fails or returns a made-up struct. */
  readonly load?: () => Promise<Adjtimex>;
}

/** A timex collector whose system call is replaceable, so the conversions and failures are testable. */
export function makeTimexCollector({ load = loadAdjtimex }: TimexCollectorOptions = {}): CollectorFactory {
  return {
    name: 'timex',
    defaultEnabled: true,
    create: ({ log }) => {
      // Bound on the first scrape (koffi is loaded then, not at start), once per collector.
      let adjtimex: Promise<Adjtimex | undefined> | undefined;
      const warnOnce = onceLogger(log);
      return {
        async update(sink) {
          adjtimex ??= load().catch((err: unknown) => {
            warnOnce('timex collector cannot call adjtimex here; it reports no data', err);
            return undefined;
          });
          const call = await adjtimex;
          if (!call) throw new NoDataError('adjtimex is unavailable');
          let reading: AdjtimexReading;
          try {
            reading = call();
          } catch (err) {
            if (err instanceof AdjtimexError && REFUSED.has(err.code)) {
              // node_exporter returns ErrNoData on EPERM; one line says why the series are missing.
              warnOnce('adjtimex refused (a seccomp filter or sandbox?); the timex collector reports no data', err);
              throw new NoDataError(err.message);
            }
            throw new Error(`failed to retrieve adjtimex stats: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
          }
          addTimexSamples(sink, reading);
        },
      };
    },
  };
}

/** A warn() that speaks the first time only: the scrapes after it log at debug (NoDataError). */
function onceLogger(log: Logger): (msg: string, err: unknown) => void {
  let said = false;
  return (msg, err) => {
    if (said) return;
    said = true;
    log.warn(msg, { collector: 'timex', err });
  };
}

export const timexCollector = makeTimexCollector();
