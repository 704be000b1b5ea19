import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import { powerSupplyClassCollector } from '../../../src/collector/powersupplyclass.js';
import { parseGoInt, parsePowerSupply } from '../../../src/sysfs/power-supply.js';
import { collect, fixture, valueOf } from '../../helpers/collect.js';
import { byName, parseExposition } from '../../helpers/exposition-parse.js';

const scrape = (sysfs: string, ...argv: string[]) =>
  collect(['powersupplyclass'], ['--path.sysfs', sysfs, ...argv], [powerSupplyClassCollector]);

test('parseGoInt reads integers the way Go\'s ParseInt(s, 0, 64) does', (t) => {
  t.is(parseGoInt('82', 'x'), 82);
  t.is(parseGoInt('-1500', 'x'), -1500);
  t.is(parseGoInt('+7', 'x'), 7);
  t.is(parseGoInt('0x1f', 'x'), 31);
  t.is(parseGoInt('010', 'x'), 8); // a leading zero means octal
  t.is(parseGoInt('0b101', 'x'), 5);
  t.is(parseGoInt('1_000', 'x'), 1000);
  for (const bad of ['', '1.5', '08', '1__0', '_1', '12abc', '9223372036854775808', ' 1']) {
    t.throws(() => parseGoInt(bad, 'capacity'), { message: /capacity/ }, bad);
  }
});

test('parsePowerSupply converts units and collects non-empty text attributes as info labels', (t) => {
  const s = parsePowerSupply(
    'BAT0',
    new Map([
      ['voltage_now', '12074000'],
      ['temp', '251'],
      ['cycle_count', '123'],
      ['current_avg', '5'],
      ['status', 'Discharging'],
      ['serial_number', ''],
      ['alarm', '0'],
      ['uevent', 'POWER_SUPPLY_NAME=BAT0'],
    ]),
  );
  t.deepEqual([...s.values], [['voltage_volt', 12.074], ['temp_celsius', 25.1], ['cyclecount', 123]]);
  t.deepEqual(s.info, { power_supply: 'BAT0', status: 'Discharging' });
  // Attributes parsed but not exported still fail on a bad value, as in node_exporter.
  t.throws(() => parsePowerSupply('BAT0', new Map([['current_avg', 'n/a']])), { message: /current_avg/ });
});

test('powersupplyclass serves numeric attributes and the info series of each supply', async (t) => {
  const r = await scrape(fixture('power_supply', 'full'));
  t.is(r.success['powersupplyclass'], 1);
  t.is(valueOf(r.text, 'node_power_supply_online{power_supply="AC"}'), 1);
  t.is(valueOf(r.text, 'node_power_supply_capacity{power_supply="BAT0"}'), 82);
  t.is(valueOf(r.text, 'node_power_supply_cyclecount{power_supply="BAT0"}'), 123);
  t.is(valueOf(r.text, 'node_power_supply_energy_watthour{power_supply="BAT0"}'), 41.32);
  t.is(valueOf(r.text, 'node_power_supply_energy_full_design{power_supply="BAT0"}'), 57);
  t.is(valueOf(r.text, 'node_power_supply_power_watt{power_supply="BAT0"}'), 8.52);
  t.is(valueOf(r.text, 'node_power_supply_voltage_volt{power_supply="BAT0"}'), 12.074);
  t.is(valueOf(r.text, 'node_power_supply_voltage_min_design{power_supply="BAT0"}'), 11.4);
  t.is(valueOf(r.text, 'node_power_supply_temp_celsius{power_supply="BAT0"}'), 25.1);
  t.is(valueOf(r.text, 'node_power_supply_time_to_empty_seconds{power_supply="BAT0"}'), 17460);
  t.is(valueOf(r.text, 'node_power_supply_current_max{power_supply="ucsi-source-psy-USBC000:001"}'), 3);
  t.is(valueOf(r.text, 'node_power_supply_current_ampere{power_supply="ucsi-source-psy-USBC000:001"}'), 0);
  t.is(valueOf(r.text, 'node_power_supply_voltage_max{power_supply="ucsi-source-psy-USBC000:001"}'), 20);
  // Attributes node_exporter does not export (alarm, charge_control_end_threshold) stay out.
  t.false(/node_power_supply_(alarm|charge_control_end)/.test(r.text));
  t.regex(
    r.text,
    /# HELP node_power_supply_online online value of \/sys\/class\/power_supply\/<power_supply>.\n# TYPE node_power_supply_online gauge\n/,
  );
  const info = byName(parseExposition(r.text)).get('node_power_supply_info');
  t.is(info?.help, 'info of /sys/class/power_supply/<power_supply>.');
  t.deepEqual(
    Object.fromEntries((info?.samples ?? []).map((s) => [s.labels['power_supply'], s.labels])),
    {
      AC: { power_supply: 'AC', type: 'Mains' },
      BAT0: {
        capacity_level: 'Normal',
        charge_type: 'Standard',
        health: 'Good',
        manufacturer: 'SMP',
        model_name: '5B10W13975',
        power_supply: 'BAT0',
        serial_number: '1234',
        status: 'Discharging',
        technology: 'Li-ion',
        type: 'Battery',
      },
      hidpp_battery_0: {
        capacity_level: 'Normal',
        manufacturer: 'Logitech',
        model_name: 'MX Master 3',
        power_supply: 'hidpp_battery_0',
        scope: 'Device',
        status: 'Discharging',
        type: 'Battery',
      },
      'ucsi-source-psy-USBC000:001': {
        power_supply: 'ucsi-source-psy-USBC000:001',
        scope: 'System',
        type: 'USB',
        usb_type: 'C [PD] PD_PPS',
      },
    },
  );
});

test('--collector.powersupply.ignored-supplies drops matching supplies', async (t) => {
  const r = await scrape(fixture('power_supply', 'full'), '--collector.powersupply.ignored-supplies', '^(AC|hidpp_.*)$');
  t.is(r.success['powersupplyclass'], 1);
  t.false(r.text.includes('power_supply="AC"'));
  t.false(r.text.includes('hidpp_battery_0'));
  t.is(valueOf(r.text, 'node_power_supply_capacity{power_supply="BAT0"}'), 82);
});

test('a malformed value fails the scrape with no partial output', async (t) => {
  const r = await scrape(fixture('power_supply', 'malformed'));
  t.is(r.success['powersupplyclass'], 0);
  t.false(r.text.includes('node_power_supply_'));
  t.true(r.logs.some((l) => l.includes('collector failed') && l.includes('capacity')));
  // Ignoring the broken supply leaves the rest working.
  const ignored = await scrape(fixture('power_supply', 'malformed'), '--collector.powersupply.ignored-supplies', 'BAT');
  t.is(ignored.success['powersupplyclass'], 1);
  t.is(valueOf(ignored.text, 'node_power_supply_online{power_supply="AC"}'), 1);
});

test('no /sys/class/power_supply is "no data"; an empty one is success without series', async (t) => {
  const missing = await scrape(fixture('power_supply', 'missing'));
  t.is(missing.success['powersupplyclass'], 0);
  t.true(missing.logs.some((l) => l.includes('level=DEBUG') && l.includes('collector returned no data')));
  const sysfs = mkdtempSync(path.join(os.tmpdir(), 'power-supply-'));
  t.teardown(() => rmSync(sysfs, { recursive: true, force: true }));
  mkdirSync(path.join(sysfs, 'class', 'power_supply'), { recursive: true });
  const empty = await scrape(sysfs);
  t.is(empty.success['powersupplyclass'], 1);
  t.false(empty.text.includes('node_power_supply_'));
});
