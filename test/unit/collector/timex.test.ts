import test from 'ava';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { addTimexSamples, makeTimexCollector } from '../../../src/collector/timex.js';
import { MetricSink } from '../../../src/collector/sink.js';
import { NodeCollector } from '../../../src/collector/node-collector.js';
import { writeText } from '../../../src/exposition/text.js';
import {
  AdjtimexError,
  AdjtimexUnavailableError,
  STA_NANO,
  STA_UNSYNC,
  TIMEX_SIZE,
  TIME_ERROR,
  decodeTimex,
  errnoName,
  loadAdjtimex,
  type Adjtimex,
  type AdjtimexReading,
  type Timex,
} from '../../../src/hostfs/adjtimex.js';
import { createLogger } from '../../../src/lib/log.js';
import { testContext, valueOf } from '../../helpers/collect.js';

const STA_PLL = 0x0001;

/** A disciplined clock as chrony leaves it: every field distinct, so a swapped field shows. */
const TIMEX: Timex = {
  offset: -12_345,
  freq: 5 * 65536 + 32768, // 5.5 ppm
  maxerror: 250_000,
  esterror: 1_500,
  status: STA_PLL,
  constant: 7,
  precision: 1,
  tolerance: 32_768_000,
  tick: 10_000,
  ppsfreq: 2 * 65536,
  jitter: 300,
  shift: 4,
  stabil: 65536,
  jitcnt: 11,
  calcnt: 12,
  errcnt: 13,
  stbcnt: 14,
  tai: 37,
};

function text(reading: AdjtimexReading): string {
  const sink = new MetricSink();
  addTimexSamples(sink, reading);
  return writeText([...sink.entries()]);
}

test('microsecond mode: node_exporter conversions of every field', (t) => {
  const out = text({ state: 0, timex: TIMEX });
  const v = (name: string) => valueOf(out, `node_timex_${name}`);
  t.is(v('offset_seconds'), -0.012345);
  t.is(v('frequency_adjustment_ratio'), 1.0000055);
  t.is(v('maxerror_seconds'), 0.25);
  t.is(v('estimated_error_seconds'), 0.0015);
  t.is(v('status'), 1);
  t.is(v('loop_time_constant'), 7);
  t.is(v('tick_seconds'), 0.01);
  t.is(v('pps_frequency_hertz'), 2e-6);
  t.is(v('pps_jitter_seconds'), 0.0003);
  t.is(v('pps_shift_seconds'), 4);
  t.is(v('pps_stability_hertz'), 1e-6);
  t.is(v('pps_jitter_total'), 11);
  t.is(v('pps_calibration_total'), 12);
  t.is(v('pps_error_total'), 13);
  t.is(v('pps_stability_exceeded_total'), 14);
  t.is(v('tai_offset_seconds'), 37);
  t.is(v('sync_status'), 1);
  // 17 families, each with one series; counters typed as such, with node_exporter's help.
  t.is(out.match(/^# TYPE /gm)?.length, 17);
  t.is(out.match(/^# TYPE node_timex_\S+ counter$/gm)?.length, 4);
  t.true(out.includes('# HELP node_timex_offset_seconds Time offset in between local system and reference clock.\n# TYPE node_timex_offset_seconds gauge\n'));
  t.true(out.includes('# HELP node_timex_sync_status Is clock synchronized to a reliable server (1 = yes, 0 = no).\n'));
  t.true(out.includes('# HELP node_timex_pps_stability_exceeded_total Pulse per second count of stability limit exceeded events.\n# TYPE node_timex_pps_stability_exceeded_total counter\n'));
});

test('nanosecond mode (STA_NANO): offset and PPS jitter in ns, the error fields and tick still in µs', (t) => {
  const out = text({ state: 0, timex: { ...TIMEX, status: STA_PLL | STA_NANO, offset: -12_345_678, jitter: 300 } });
  const v = (name: string) => valueOf(out, `node_timex_${name}`);
  t.is(v('offset_seconds'), -0.012345678);
  t.is(v('pps_jitter_seconds'), 3e-7);
  t.is(v('maxerror_seconds'), 0.25);
  t.is(v('estimated_error_seconds'), 0.0015);
  t.is(v('tick_seconds'), 0.01);
  t.is(v('status'), 0x2001);
});

test('sync_status follows the returned clock state, as node_exporter computes it', (t) => {
  const sync = (state: number, status: number) => valueOf(text({ state, timex: { ...TIMEX, status } }), 'node_timex_sync_status');
  // The kernel returns TIME_ERROR (5) while STA_UNSYNC is set: the unsynchronised clock of a boot without NTP.
  t.is(sync(TIME_ERROR, STA_UNSYNC), 0);
  // TIME_ERROR for a PPS fault with STA_UNSYNC clear is "not synchronised" too.
  t.is(sync(TIME_ERROR, STA_PLL), 0);
  // TIME_OK, TIME_INS, TIME_DEL, TIME_OOP, TIME_WAIT: synchronised.
  for (const state of [0, 1, 2, 3, 4]) t.is(sync(state, STA_PLL), 1, `state ${state}`);
  // node_exporter reads the state only, not the bit.
  t.is(sync(0, STA_UNSYNC), 1);
});

/** An LP64 struct timex as the kernel lays it out, in the given byte order. */
function encode(tx: Timex, littleEndian: boolean): Uint8Array {
  const bytes = new Uint8Array(TIMEX_SIZE);
  const view = new DataView(bytes.buffer);
  const long = (at: number, v: number) => view.setBigInt64(at, BigInt(v), littleEndian);
  const int = (at: number, v: number) => view.setInt32(at, v, littleEndian);
  int(0, 0); // modes
  long(8, tx.offset);
  long(16, tx.freq);
  long(24, tx.maxerror);
  long(32, tx.esterror);
  int(40, tx.status);
  view.setInt32(44, -1); // padding: must not leak into status
  long(48, tx.constant);
  long(56, tx.precision);
  long(64, tx.tolerance);
  long(72, 1_700_000_000); // time.tv_sec
  long(80, 123_456); // time.tv_usec
  long(88, tx.tick);
  long(96, tx.ppsfreq);
  long(104, tx.jitter);
  int(112, tx.shift);
  view.setInt32(116, -1);
  long(120, tx.stabil);
  long(128, tx.jitcnt);
  long(136, tx.calcnt);
  long(144, tx.errcnt);
  long(152, tx.stbcnt);
  int(160, tx.tai);
  return bytes;
}

test('decodeTimex reads the LP64 layout in either byte order, negative values included', (t) => {
  const tx: Timex = { ...TIMEX, offset: -500_000_000, freq: -32_768_000, shift: -1, tai: -2 };
  t.deepEqual(decodeTimex(encode(tx, true), true), tx);
  t.deepEqual(decodeTimex(encode(tx, false), false), tx);
  t.throws(() => decodeTimex(new Uint8Array(TIMEX_SIZE - 1)), { instanceOf: RangeError, message: /needs 208 bytes, got 207/ });
});

test('errno names come from Node, unknown numbers stay numbers', (t) => {
  t.is(errnoName(1), 'EPERM');
  t.is(errnoName(38), 'ENOSYS');
  t.is(errnoName(99999), 'errno 99999');
});

/** A NodeCollector over one timex collector built with `load`, and the log lines it wrote. */
function harness(load: () => Promise<Adjtimex>) {
  const logs: string[] = [];
  const log = createLogger('debug', 'logfmt', (line) => logs.push(line));
  const collector = makeTimexCollector({ load }).create(testContext({ flags: undefined as never, log }));
  const node = new NodeCollector(new Map([['timex', collector]]), log);
  const scrape = async () => writeText(await node.collect(5000));
  return { logs, scrape };
}

test('koffi unavailable: success 0 on every scrape, one warning saying why, no throw', async (t) => {
  let loads = 0;
  const { logs, scrape } = harness(async () => {
    loads++;
    throw new AdjtimexUnavailableError('cannot load koffi (its prebuilt binary for linux-x64): no such file');
  });
  for (let i = 0; i < 3; i++) {
    const out = await scrape();
    t.is(valueOf(out, 'node_scrape_collector_success{collector="timex"}'), 0);
    t.false(out.includes('node_timex_'));
  }
  t.is(loads, 1, 'the library is loaded once, not on every scrape');
  const loud = logs.filter((l) => !l.includes('level=DEBUG'));
  t.is(loud.length, 1, loud.join('\n'));
  t.regex(loud[0] ?? '', /level=WARN msg="timex collector cannot call adjtimex here; it reports no data" collector=timex err=.*no such file/);
  // The other scrapes are node_exporter's ErrNoData: debug only.
  t.is(logs.filter((l) => l.includes('level=DEBUG') && l.includes('collector returned no data')).length, 3);
});

test('EPERM or ENOSYS from the call (a seccomp filter): no data, one warning; another errno is a failure', async (t) => {
  for (const [errno, code] of [
    [1, 'EPERM'],
    [38, 'ENOSYS'],
  ] as const) {
    const { logs, scrape } = harness(async () => () => {
      throw new AdjtimexError(errno, code);
    });
    for (let i = 0; i < 2; i++) t.is(valueOf(await scrape(), 'node_scrape_collector_success{collector="timex"}'), 0);
    const loud = logs.filter((l) => !l.includes('level=DEBUG'));
    t.is(loud.length, 1, loud.join('\n'));
    t.true(loud[0]?.includes('level=WARN') && loud[0].includes('adjtimex refused') && loud[0].includes(code));
  }
  const { logs, scrape } = harness(async () => () => {
    throw new AdjtimexError(22, 'EINVAL');
  });
  t.is(valueOf(await scrape(), 'node_scrape_collector_success{collector="timex"}'), 0);
  t.true(logs.some((l) => l.includes('level=ERROR') && l.includes('collector failed') && l.includes('failed to retrieve adjtimex stats: adjtimex: EINVAL')));
});

test('a reading that works after all is served, and the loader runs on the first scrape, not at creation', async (t) => {
  let loads = 0;
  const { scrape } = harness(async () => {
    loads++;
    return () => ({ state: 0, timex: TIMEX });
  });
  t.is(loads, 0);
  const out = await scrape();
  t.is(loads, 1);
  t.is(valueOf(out, 'node_scrape_collector_success{collector="timex"}'), 1);
  t.is(valueOf(out, 'node_timex_tai_offset_seconds'), 37);
});

test('loadAdjtimex refuses other platforms and 32-bit architectures before loading koffi', async (t) => {
  await t.throwsAsync(loadAdjtimex('darwin', 'arm64'), { instanceOf: AdjtimexUnavailableError, message: /Linux system call; this is darwin/ });
  await t.throwsAsync(loadAdjtimex('linux', 'arm'), { instanceOf: AdjtimexUnavailableError, message: /64-bit Linux only; this is arm/ });
});

test('on this machine the real call works: the clock state and a plausible struct', async (t) => {
  const adjtimex = await loadAdjtimex();
  const { state, timex } = adjtimex();
  t.true(state >= 0 && state <= TIME_ERROR, `state ${state}`);
  // USER_HZ is 100 on every Linux architecture Node runs on: tick = 1e6 / USER_HZ µs, which
  // ADJ_TICK may move by at most 10%.
  t.true(timex.tick >= 9_000 && timex.tick <= 11_000, `tick ${timex.tick}`);
  // The kernel caps both errors at NTP_PHASE_LIMIT (16 s) when unsynchronised.
  t.true(timex.maxerror >= 0 && timex.maxerror <= 16_000_000, `maxerror ${timex.maxerror}`);
  t.true(timex.esterror >= 0 && timex.esterror <= 16_000_000, `esterror ${timex.esterror}`);
  t.is(timex.status & ~0xffff, 0, 'status holds STA_* bits only');
  // The kernel returns TIME_ERROR exactly while STA_UNSYNC is set (or a PPS fault is flagged).
  if ((timex.status & STA_UNSYNC) !== 0) t.is(state, TIME_ERROR);
  // A second call sees the same tick: the buffer is reset between calls, not left to drift.
  t.is(adjtimex().timex.tick, timex.tick);
});

test('koffi is mapped only once the enabled collector scrapes, not when the exporter loads its collectors', async (t) => {
  // A child process, so that no other test's koffi is in the way; /proc/self/maps shows the binary.
  const script = `
    const { collectorFactories } = await import(${JSON.stringify(new URL('../../../src/collectors.js', import.meta.url).href)});
    const { readFileSync } = await import('node:fs');
    const mapped = () => readFileSync('/proc/self/maps', 'utf8').includes('koffi.node');
    const timex = collectorFactories.find((f) => f.name === 'timex');
    const { testContext } = await import(${JSON.stringify(new URL('../../helpers/collect.js', import.meta.url).href)});
    const { silentLogger } = await import(${JSON.stringify(new URL('../../../src/lib/log.js', import.meta.url).href)});
    const { MetricSink } = await import(${JSON.stringify(new URL('../../../src/collector/sink.js', import.meta.url).href)});
    const c = timex.create(testContext({ flags: undefined, log: silentLogger }));
    const before = mapped();
    await c.update(new MetricSink(), new AbortController().signal);
    console.log(JSON.stringify({ before, after: mapped() }));
  `;
  const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], { timeout: 20_000 });
  t.deepEqual(JSON.parse(stdout), { before: false, after: true });
});
