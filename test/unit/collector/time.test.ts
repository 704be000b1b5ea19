import { readFileSync } from 'node:fs';
import test from 'ava';
import { makeTimeCollector, timeCollector, wallClockSeconds } from '../../../src/collector/time.js';
import { clocksourceDevices } from '../../../src/sysfs/clocksource.js';
import { UTC, localZoneFiles, parsePosixTz, parseTzif, posixZoneAt, zoneAt, type TimeZone } from '../../../src/gocompat/tzif.js';
import { collect, fixture, valueOf } from '../../helpers/collect.js';

// The system's tzdata (installed here); tests read zone files from it rather than copying them.
const zoneinfo = (name: string): Uint8Array => readFileSync(`/usr/share/zoneinfo/${name}`);
const at = (iso: string): number => Date.parse(iso) / 1000;

// ---- TZif ----

test('Europe/Berlin: CET in winter, CEST in summer, switching exactly at the transition', (t) => {
  const berlin = parseTzif(zoneinfo('Europe/Berlin'));
  t.deepEqual(zoneAt(berlin, at('2024-01-15T12:00:00Z')), { abbreviation: 'CET', offsetSeconds: 3600 });
  t.deepEqual(zoneAt(berlin, at('2024-07-01T12:00:00Z')), { abbreviation: 'CEST', offsetSeconds: 7200 });
  // 2024-03-31 02:00 CET = 01:00 UTC.
  t.deepEqual(zoneAt(berlin, at('2024-03-31T00:59:59Z')), { abbreviation: 'CET', offsetSeconds: 3600 });
  t.deepEqual(zoneAt(berlin, at('2024-03-31T01:00:00Z')), { abbreviation: 'CEST', offsetSeconds: 7200 });
  // Before the first transition: local mean time (type 0).
  t.deepEqual(zoneAt(berlin, at('1850-01-01T00:00:00Z')), { abbreviation: 'LMT', offsetSeconds: 3208 });
});

test('after the last transition the footer rule continues the zone', (t) => {
  const berlin = parseTzif(zoneinfo('Europe/Berlin'));
  t.truthy(berlin.footer);
  t.deepEqual(zoneAt(berlin, at('2090-07-01T00:00:00Z')), { abbreviation: 'CEST', offsetSeconds: 7200 });
  t.deepEqual(zoneAt(berlin, at('2090-12-01T00:00:00Z')), { abbreviation: 'CET', offsetSeconds: 3600 });
  const sydney = parseTzif(zoneinfo('Australia/Sydney'));
  t.deepEqual(zoneAt(sydney, at('2090-01-10T00:00:00Z')), { abbreviation: 'AEDT', offsetSeconds: 39600 });
  t.deepEqual(zoneAt(sydney, at('2090-06-10T00:00:00Z')), { abbreviation: 'AEST', offsetSeconds: 36000 });
});

test('zones with numeric abbreviations, half hours and no daylight time', (t) => {
  t.deepEqual(zoneAt(parseTzif(zoneinfo('UTC')), at('2024-07-01T00:00:00Z')), { abbreviation: 'UTC', offsetSeconds: 0 });
  t.deepEqual(zoneAt(parseTzif(zoneinfo('Asia/Kolkata')), at('2024-07-01T00:00:00Z')), { abbreviation: 'IST', offsetSeconds: 19800 });
  t.deepEqual(zoneAt(parseTzif(zoneinfo('America/Sao_Paulo')), at('2024-07-01T00:00:00Z')), { abbreviation: '-03', offsetSeconds: -10800 });
  t.deepEqual(zoneAt(parseTzif(zoneinfo('America/Los_Angeles')), at('2024-07-01T00:00:00Z')), { abbreviation: 'PDT', offsetSeconds: -25200 });
});

test('a version 1 file is read from its 32-bit data block', (t) => {
  const v2 = zoneinfo('Europe/Berlin');
  const view = new DataView(v2.buffer, v2.byteOffset);
  const count = (o: number) => view.getUint32(20 + o);
  const [isut, isstd, leap, time, type, char] = [0, 4, 8, 12, 16, 20].map(count) as number[];
  const v1Length = 44 + time! * 5 + type! * 6 + char! + leap! * 8 + isstd! + isut!;
  const v1 = Uint8Array.from(v2.subarray(0, v1Length));
  v1[4] = 0; // version byte NUL = version 1
  const zone = parseTzif(v1);
  t.is(zone.footer, undefined);
  t.deepEqual(zoneAt(zone, at('2024-07-01T12:00:00Z')), { abbreviation: 'CEST', offsetSeconds: 7200 });
  t.deepEqual(zoneAt(zone, at('2024-01-15T12:00:00Z')), { abbreviation: 'CET', offsetSeconds: 3600 });
});

/** A minimal version 2 TZif with no transitions, one type, and the given footer. */
function tzifWithFooter(abbreviation: string, utoff: number, footer: string): Uint8Array {
  const chars = [...abbreviation].map((c) => c.charCodeAt(0)).concat(0);
  const header = (version: number, typecnt: number, charcnt: number) => {
    const h = new Uint8Array(44);
    h.set([0x54, 0x5a, 0x69, 0x66, version]);
    new DataView(h.buffer).setUint32(36, typecnt);
    new DataView(h.buffer).setUint32(40, charcnt);
    return [...h];
  };
  const type = new Uint8Array(6);
  new DataView(type.buffer).setInt32(0, utoff);
  const block = [...type, ...chars];
  const v1 = [...header(0x32, 1, chars.length), ...block];
  const v2 = [...header(0x32, 1, chars.length), ...block];
  return Uint8Array.from([...v1, ...v2, ...[...`\n${footer}\n`].map((c) => c.charCodeAt(0))]);
}

test('with no transitions, the footer decides; an unusable footer leaves the one type', (t) => {
  const withRule = parseTzif(tzifWithFooter('XST', 0, 'XST-2XDT,M3.5.0,M10.5.0/3'));
  t.deepEqual(zoneAt(withRule, at('2030-07-01T00:00:00Z')), { abbreviation: 'XDT', offsetSeconds: 10800 });
  t.deepEqual(zoneAt(withRule, at('2030-01-01T00:00:00Z')), { abbreviation: 'XST', offsetSeconds: 7200 });
  const unusable = parseTzif(tzifWithFooter('XST', 7200, 'not a rule'));
  t.is(unusable.footer, undefined);
  t.deepEqual(zoneAt(unusable, at('2030-07-01T00:00:00Z')), { abbreviation: 'XST', offsetSeconds: 7200 });
});

test('truncated or foreign data gives a clear ParseError', (t) => {
  const berlin = zoneinfo('Europe/Berlin');
  t.throws(() => parseTzif(berlin.subarray(0, 20)), {
    name: 'ParseError',
    message: 'TZif data truncated: header needs 44 bytes at offset 0, only 20 left',
  });
  t.throws(() => parseTzif(berlin.subarray(0, 100)), { message: /^TZif data truncated: version 1 data block needs \d+ bytes at offset 44, only 56 left$/ });
  t.throws(() => parseTzif(berlin.subarray(0, berlin.length - 200)), { message: /^TZif data truncated: version 2 data block needs/ });
  t.throws(() => parseTzif(new TextEncoder().encode('#!/bin/sh\n'.repeat(10))), { message: 'not TZif data: bad magic' });
  t.throws(() => parseTzif(new Uint8Array(0)), { message: /truncated: header/ });
});

test('out-of-range indexes in the data are rejected', (t) => {
  const bad = tzifWithFooter('XST', 0, 'XST0');
  bad[54 + 44 + 5] = 9; // the v2 block's type's designation index, past its 4 characters (v1 block: 54 bytes)
  t.throws(() => parseTzif(bad), { message: /designation index 9 out of range/ });
});

// ---- POSIX TZ strings (footers) ----

test('POSIX TZ: M rules, explicit times, and the offset sign convention', (t) => {
  const cet = parsePosixTz('CET-1CEST,M3.5.0,M10.5.0/3');
  t.deepEqual(cet.std, { utoff: 3600, isDst: false, abbreviation: 'CET' });
  t.deepEqual(cet.dst?.type, { utoff: 7200, isDst: true, abbreviation: 'CEST' });
  // 2030: last Sunday of March is the 31st, last Sunday of October the 27th.
  t.is(posixZoneAt(cet, at('2030-03-31T00:59:59Z')).abbreviation, 'CET');
  t.is(posixZoneAt(cet, at('2030-03-31T01:00:00Z')).abbreviation, 'CEST');
  t.is(posixZoneAt(cet, at('2030-10-27T00:59:59Z')).abbreviation, 'CEST');
  t.is(posixZoneAt(cet, at('2030-10-27T01:00:00Z')).abbreviation, 'CET');
});

test('POSIX TZ: southern hemisphere, default US rules, quoted names, no DST', (t) => {
  const sydney = parsePosixTz('AEST-10AEDT,M10.1.0,M4.1.0/3');
  t.deepEqual(posixZoneAt(sydney, at('2030-01-01T00:00:00Z')), { abbreviation: 'AEDT', offsetSeconds: 39600 });
  t.deepEqual(posixZoneAt(sydney, at('2030-07-01T00:00:00Z')), { abbreviation: 'AEST', offsetSeconds: 36000 });
  // No rules: DST starts on the second Sunday in March (2030-03-10) at 02:00 EST.
  const us = parsePosixTz('EST5EDT');
  t.is(posixZoneAt(us, at('2030-03-10T06:59:59Z')).abbreviation, 'EST');
  t.is(posixZoneAt(us, at('2030-03-10T07:00:00Z')).abbreviation, 'EDT');
  t.deepEqual(posixZoneAt(parsePosixTz('<+0545>-5:45'), 0), { abbreviation: '+0545', offsetSeconds: 20700 });
  t.deepEqual(posixZoneAt(parsePosixTz('<-03>3'), 0), { abbreviation: '-03', offsetSeconds: -10800 });
  // Greenland's rule uses negative transition times.
  const nuuk = parsePosixTz('<-02>2<-01>,M3.5.0/-1,M10.5.0/0');
  t.is(posixZoneAt(nuuk, at('2030-07-01T00:00:00Z')).abbreviation, '-01');
  t.is(posixZoneAt(nuuk, at('2030-12-01T00:00:00Z')).abbreviation, '-02');
});

test('POSIX TZ: Julian and zero-based day rules, and all-year daylight time', (t) => {
  const julian = parsePosixTz('AAA0BBB,J60/0,J300/0');
  // J60 is 1 March even in a leap year.
  t.is(posixZoneAt(julian, at('2028-02-29T12:00:00Z')).abbreviation, 'AAA');
  t.is(posixZoneAt(julian, at('2028-03-01T00:00:00Z')).abbreviation, 'BBB');
  const zeroBased = parsePosixTz('AAA0BBB,59/0,300/0');
  // Day 59 (zero-based) is 29 February in a leap year.
  t.is(posixZoneAt(zeroBased, at('2028-02-29T00:00:00Z')).abbreviation, 'BBB');
  const always = parsePosixTz('EST5EDT,0/0,J365/25');
  t.is(posixZoneAt(always, at('2030-06-01T00:00:00Z')).abbreviation, 'EDT');
  t.is(posixZoneAt(always, at('2030-01-01T05:00:00Z')).abbreviation, 'EDT');
});

test('POSIX TZ: malformed strings are rejected', (t) => {
  for (const bad of ['', 'AB1', 'CET', '<CET-1', 'CET-25', 'CET-1CEST,M13.1.0,M10.5.0', 'CET-1CEST,M3.5.0', 'CET-1CEST,M3.5.0,M10.5.0x']) {
    t.throws(() => parsePosixTz(bad), { name: 'ParseError' }, bad);
  }
  // Like Go, a string without a daylight name ignores whatever follows a comma.
  t.deepEqual(parsePosixTz('UTC0,ignored'), { std: { utoff: 0, isDst: false, abbreviation: 'UTC' } });
});

// ---- which zone file, by TZ ----

test('localZoneFiles follows Go: unset → /etc/localtime, ""/UTC → none, paths as is, names in zoneinfo dirs', (t) => {
  t.deepEqual(localZoneFiles(undefined), ['/etc/localtime']);
  t.deepEqual(localZoneFiles(''), []);
  t.deepEqual(localZoneFiles('UTC'), []);
  t.deepEqual(localZoneFiles(':UTC'), []);
  t.deepEqual(localZoneFiles(':'), []);
  t.deepEqual(localZoneFiles('/etc/zones/x'), ['/etc/zones/x']);
  t.deepEqual(localZoneFiles(':/etc/zones/x'), ['/etc/zones/x']);
  t.deepEqual(localZoneFiles('Europe/Berlin'), [
    '/usr/share/zoneinfo/Europe/Berlin',
    '/usr/share/lib/zoneinfo/Europe/Berlin',
    '/usr/lib/locale/TZ/Europe/Berlin',
    '/etc/zoneinfo/Europe/Berlin',
  ]);
  t.deepEqual(zoneAt(UTC, 0), { abbreviation: 'UTC', offsetSeconds: 0 });
});

// ---- the collector ----

const SUMMER_2024 = at('2024-07-01T12:00:00.123Z');
const pinned = (tz: string | undefined) => makeTimeCollector({ now: () => SUMMER_2024, tzEnv: () => tz });
const scrape = (tz: string | undefined, sysfs = fixture('time/multi')) =>
  collect(['time'], ['--path.sysfs', sysfs], [pinned(tz)]);

test('time: node_time_seconds and the zone offset with the abbreviation Go would give', async (t) => {
  const r = await scrape('Europe/Berlin');
  t.is(r.success['time'], 1);
  t.regex(r.text, /# HELP node_time_seconds System time in seconds since epoch \(1970\)\.\n# TYPE node_time_seconds gauge\nnode_time_seconds 1\.719835200123e\+09\n/);
  t.regex(
    r.text,
    /# HELP node_time_zone_offset_seconds System time zone offset in seconds\.\n# TYPE node_time_zone_offset_seconds gauge\nnode_time_zone_offset_seconds\{time_zone="CEST"\} 7200\n/,
  );
  const la = await scrape('/usr/share/zoneinfo/America/Los_Angeles');
  t.is(valueOf(la.text, 'node_time_zone_offset_seconds{time_zone="PDT"}'), -25200);
});

test('time: an unknown or unusable zone falls back to UTC like Go', async (t) => {
  const unknown = await scrape('Nowhere/Land');
  t.is(unknown.success['time'], 1);
  t.is(valueOf(unknown.text, 'node_time_zone_offset_seconds{time_zone="UTC"}'), 0);
  const corrupt = await scrape(fixture('time/not-tzif'));
  t.is(valueOf(corrupt.text, 'node_time_zone_offset_seconds{time_zone="UTC"}'), 0);
  t.true(corrupt.logs.some((l) => l.includes('level=WARN') && l.includes('cannot load time zone file') && l.includes('bad magic')));
  t.is(valueOf((await scrape('')).text, 'node_time_zone_offset_seconds{time_zone="UTC"}'), 0);
});

test('time: clocksources, labelled by position in sorted order as node_exporter does', async (t) => {
  const r = await scrape('UTC');
  t.is(r.success['time'], 1);
  const series = r.text.split('\n').filter((l) => l.startsWith('node_time_clocksource'));
  t.deepEqual(series, [
    'node_time_clocksource_available_info{clocksource="acpi_pm",device="0"} 1',
    'node_time_clocksource_available_info{clocksource="arch_sys_counter",device="2"} 1',
    'node_time_clocksource_available_info{clocksource="hpet",device="0"} 1',
    'node_time_clocksource_available_info{clocksource="jiffies",device="3"} 1',
    'node_time_clocksource_available_info{clocksource="kvm-clock",device="1"} 1',
    'node_time_clocksource_available_info{clocksource="tsc",device="0"} 1',
    'node_time_clocksource_current_info{clocksource="arch_sys_counter",device="2"} 1',
    'node_time_clocksource_current_info{clocksource="jiffies",device="3"} 1',
    'node_time_clocksource_current_info{clocksource="kvm-clock",device="1"} 1',
    'node_time_clocksource_current_info{clocksource="tsc",device="0"} 1',
  ]);
  t.true(r.text.includes("# HELP node_time_clocksource_available_info Available clocksources read from '/sys/devices/system/clocksource'.\n"));
  t.true(r.text.includes("# HELP node_time_clocksource_current_info Current clocksource read from '/sys/devices/system/clocksource'.\n"));
  t.deepEqual(clocksourceDevices(['clocksource2', 'power', 'clocksource10', 'clocksourceX', 'clocksource0', 'uevent']), [
    'clocksource0',
    'clocksource10',
    'clocksource2',
  ]);
});

test('time: no clocksource directory is not an error; a broken device fails after the time series', async (t) => {
  for (const sysfs of [fixture('time/empty-dir'), fixture('time/does-not-exist')]) {
    const r = await scrape('UTC', sysfs);
    t.is(r.success['time'], 1);
    t.false(r.text.includes('node_time_clocksource'));
  }
  const broken = await scrape('UTC', fixture('time/missing-current'));
  t.is(broken.success['time'], 0);
  t.false(broken.text.includes('node_time_clocksource'));
  t.is(valueOf(broken.text, 'node_time_seconds'), SUMMER_2024);
  t.true(broken.logs.some((l) => l.includes('collector failed') && l.includes('current_clocksource')));
});

test('time: the combined tree has one clocksource', async (t) => {
  const r = await scrape('UTC', fixture('tree/sys'));
  t.is(valueOf(r.text, 'node_time_clocksource_current_info{clocksource="tsc",device="0"}'), 1);
});

test('wallClockSeconds adds sub-millisecond digits only while the clocks agree', (t) => {
  t.is(wallClockSeconds(1_700_000_000_000, 1_700_000_000_000.25), 1_700_000_000.00025);
  t.is(wallClockSeconds(1_700_000_000_000, 1_700_000_000_003.5), 1_700_000_000);
  t.is(wallClockSeconds(1_700_000_000_000, 1_699_999_999_999.5), 1_700_000_000);
  const before = Date.now() / 1000;
  const now = wallClockSeconds();
  t.true(now >= before && now < Date.now() / 1000 + 0.001);
});

test('time: the default collector reads the host clock and zone', async (t) => {
  const before = Date.now() / 1000;
  const r = await collect(['time'], [], [timeCollector]);
  t.is(r.success['time'], 1);
  const seconds = valueOf(r.text, 'node_time_seconds') as number;
  t.true(seconds >= before - 0.001 && seconds <= Date.now() / 1000 + 0.001);
  t.regex(r.text, /node_time_zone_offset_seconds\{time_zone="[^"]+"\} -?\d+\n/);
});

test('zoneAt on the UTC fallback zone and a zone without a footer past its table', (t) => {
  const fixed: TimeZone = {
    transitions: [{ at: 0, type: 1 }],
    types: [
      { utoff: 0, isDst: false, abbreviation: 'OLD' },
      { utoff: 3600, isDst: false, abbreviation: 'NEW' },
    ],
    footer: undefined,
  };
  t.is(zoneAt(fixed, -1).abbreviation, 'OLD');
  t.is(zoneAt(fixed, 0).abbreviation, 'NEW');
  t.is(zoneAt(fixed, 4e9).abbreviation, 'NEW');
});
