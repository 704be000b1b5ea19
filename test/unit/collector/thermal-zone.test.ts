import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import { thermalZoneCollector } from '../../../src/collector/thermal_zone.js';
import { coolingDeviceEntries, parseCoolingState, parseZoneTemp, thermalZoneEntries } from '../../../src/sysfs/thermal.js';
import { collect, fixture, valueOf } from '../../helpers/collect.js';

const scrape = (sysfs: string) => collect(['thermal_zone'], ['--path.sysfs', sysfs], [thermalZoneCollector]);

test('entry globs and value parsers', (t) => {
  const entries = ['thermal_zone10', 'cooling_device1', 'thermal_zone0', 'cooling_device0', 'thermal_zone', 'uevent'];
  t.deepEqual(thermalZoneEntries(entries), ['thermal_zone0', 'thermal_zone10']);
  t.deepEqual(coolingDeviceEntries(entries), ['cooling_device0', 'cooling_device1']);
  t.is(parseZoneTemp('27800\n'), 27.8);
  t.is(parseZoneTemp('-5500\n'), -5.5);
  t.is(parseCoolingState('-1\n', 'cur_state'), -1);
  t.throws(() => parseZoneTemp('hot\n'), { message: /temp: expected an integer, got "hot"/ });
  t.throws(() => parseZoneTemp('27.8\n'));
  t.throws(() => parseCoolingState('\n', 'max_state'), { message: /max_state/ });
});

test('thermal_zone serves zone temperatures and cooling device states', async (t) => {
  const r = await scrape(fixture('thermal', 'full'));
  t.is(r.success['thermal_zone'], 1);
  t.is(valueOf(r.text, 'node_thermal_zone_temp{type="acpitz",zone="0"}'), 27.8);
  t.is(valueOf(r.text, 'node_thermal_zone_temp{type="x86_pkg_temp",zone="1"}'), 45);
  t.is(valueOf(r.text, 'node_thermal_zone_temp{type="INT3400 Thermal",zone="10"}'), -5.5);
  // A zone reached through a link into devices/virtual/thermal, as on real hosts.
  t.is(valueOf(r.text, 'node_thermal_zone_temp{type="pch_cannonlake",zone="3"}'), 48);
  t.is(valueOf(r.text, 'node_cooling_device_cur_state{name="0",type="Processor"}'), 0);
  t.is(valueOf(r.text, 'node_cooling_device_max_state{name="0",type="Processor"}'), 3);
  t.is(valueOf(r.text, 'node_cooling_device_cur_state{name="1",type="intel_powerclamp"}'), -1);
  t.is(valueOf(r.text, 'node_cooling_device_max_state{name="1",type="intel_powerclamp"}'), 50);
  // Zone 2 has no readable temp, cooling device 3 no states: both left out, nothing else lost.
  t.false(r.text.includes('zone="2"'));
  t.false(r.text.includes('name="3"'));
  t.regex(r.text, /# HELP node_thermal_zone_temp Zone temperature in Celsius\n# TYPE node_thermal_zone_temp gauge\n/);
  t.regex(r.text, /# HELP node_cooling_device_cur_state Current throttle state of the cooling device\n/);
  t.regex(r.text, /# HELP node_cooling_device_max_state Maximum throttle state of the cooling device\n/);
});

test('a malformed temperature fails the scrape', async (t) => {
  const r = await scrape(fixture('thermal', 'malformed-temp'));
  t.is(r.success['thermal_zone'], 0);
  t.false(r.text.includes('node_thermal_zone_temp'));
  t.true(r.logs.some((l) => l.includes('collector failed') && l.includes('thermal_zone0')));
});

test('a malformed cooling state fails the scrape after the zones were served', async (t) => {
  const r = await scrape(fixture('thermal', 'malformed-cooling'));
  t.is(r.success['thermal_zone'], 0);
  t.is(valueOf(r.text, 'node_thermal_zone_temp{type="acpitz",zone="0"}'), 27.8);
  t.false(r.text.includes('node_cooling_device'));
});

test('no /sys/class/thermal is "no data"; an empty one is success without series', async (t) => {
  const missing = await scrape(fixture('thermal', 'missing'));
  t.is(missing.success['thermal_zone'], 0);
  t.true(missing.logs.some((l) => l.includes('level=DEBUG') && l.includes('collector returned no data')));
  const sysfs = mkdtempSync(path.join(os.tmpdir(), 'thermal-'));
  t.teardown(() => rmSync(sysfs, { recursive: true, force: true }));
  mkdirSync(path.join(sysfs, 'class', 'thermal'), { recursive: true });
  const empty = await scrape(sysfs);
  t.is(empty.success['thermal_zone'], 1);
  t.false(empty.text.includes('node_thermal_zone_temp'));
});
