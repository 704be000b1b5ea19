import test from 'ava';
import { hwmonCollector } from '../../../src/collector/hwmon.js';
import {
  chipNameFromDevicePath,
  cleanHwmonName,
  parseSensorFileName,
  sensorSeries,
  uniqueChipNames,
} from '../../../src/sysfs/hwmon.js';
import { collect, fixture, valueOf } from '../../helpers/collect.js';

const scrape = (tree: string, ...argv: string[]) =>
  collect(['hwmon'], ['--path.sysfs', fixture('hwmon', tree), ...argv], [hwmonCollector]);

test('cleanHwmonName lower-cases and replaces what a metric name cannot hold', (t) => {
  t.is(cleanHwmonName('coretemp.0'), 'coretemp_0');
  t.is(cleanHwmonName('ACPI000D:00'), 'acpi000d:00');
  t.is(cleanHwmonName('  Package id 0\n'), 'package_id_0');
  t.is(cleanHwmonName('---'), '');
});

test('parseSensorFileName splits <type><n>_<property> for known sensor types only', (t) => {
  t.deepEqual(parseSensorFileName('temp1_crit_alarm'), { sensor: 'temp1', type: 'temp', property: 'crit_alarm' });
  t.deepEqual(parseSensorFileName('temp01_input'), { sensor: 'temp1', type: 'temp', property: 'input' });
  t.deepEqual(parseSensorFileName('pwm1'), { sensor: 'pwm1', type: 'pwm', property: '' });
  t.deepEqual(parseSensorFileName('beep_enable'), { sensor: 'beep_enable0', type: 'beep_enable', property: '' });
  t.deepEqual(parseSensorFileName('update_interval'), { sensor: 'update_interval0', type: 'update_interval', property: '' });
  t.is(parseSensorFileName('name'), undefined);
  t.is(parseSensorFileName('uevent'), undefined);
  t.is(parseSensorFileName('temp_crit'), undefined); // the type takes all non-digits: "temp_crit"
  t.is(parseSensorFileName('temp99999999999999999999_input'), undefined);
});

test('chipNameFromDevicePath joins the bus directory and the device', (t) => {
  t.is(chipNameFromDevicePath('/sys/devices/platform/coretemp.0'), 'platform_coretemp_0');
  t.is(chipNameFromDevicePath('/sys/devices/pci0000:00/0000:00:18.3'), 'pci0000:00_0000:00:18_3');
  t.is(chipNameFromDevicePath('/coretemp.0'), 'coretemp_0');
  t.is(chipNameFromDevicePath('/'), undefined);
});

test('uniqueChipNames tells apart chips of one device by name file, else by directory', (t) => {
  t.deepEqual(
    uniqueChipNames([
      { dir: '/c/hwmon1', baseName: 'platform_x', nameFile: 'asus' },
      { dir: '/c/hwmon2', baseName: 'platform_x', nameFile: 'asus_wmi' },
      { dir: '/c/hwmon3', baseName: 'nvme', nameFile: 'nvme' },
      { dir: '/c/hwmon4', baseName: 'pci_y', nameFile: 'same' },
      { dir: '/c/hwmon5', baseName: 'pci_y', nameFile: 'same' },
    ]),
    ['platform_x_asus', 'platform_x_asus_wmi', 'nvme', 'pci_y_hwmon4', 'pci_y_hwmon5'],
  );
});

test('sensorSeries applies node_exporter names, help texts and unit conversions', (t) => {
  const temp = sensorSeries('temp1', new Map([['input', '55000'], ['max', '84000'], ['crit_alarm', '0'], ['label', 'Core 0'], ['type', '4']]));
  t.deepEqual(
    temp.map((s) => [s.name, s.help, s.value]),
    [
      ['node_hwmon_temp_celsius', 'Hardware monitor for temperature (input)', 55],
      ['node_hwmon_temp_max_celsius', 'Hardware monitor for temperature (max)', 84],
      ['node_hwmon_temp_crit_alarm_celsius', 'Hardware monitor for temperature (crit_alarm)', 0],
      ['node_hwmon_temp_type', 'Hardware monitor temp element type', 4],
    ],
  );
  // A bare `in0` file is the value; then `in0_input` keeps its own name.
  const volts = sensorSeries('in0', new Map([['', '1000'], ['input', '1032']]));
  t.deepEqual(volts.map((s) => [s.name, s.value]), [['node_hwmon_in_volts', 1], ['node_hwmon_in_input_volts', 1.032]]);
  const energy = sensorSeries('energy1', new Map([['input', '123456789']]));
  t.deepEqual(energy.map((s) => [s.name, s.type, s.value]), [['node_hwmon_energy_joule_total', 'counter', 123.456789]]);
  t.deepEqual(sensorSeries('fan1', new Map([['input', 'N/A'], ['alarm', '1']])).map((s) => s.name), ['node_hwmon_fan_alarm']);
  t.deepEqual(sensorSeries('freq1', new Map([['input', '214000000']])), []);
  t.deepEqual(sensorSeries('beep_enable0', new Map([['', '1']])).map((s) => [s.name, s.value]), [['node_hwmon_beep_enabled', 1]]);
  t.deepEqual(sensorSeries('vrm0', new Map([['', 'x']])), []);
});

test('hwmon serves every chip kind of the fixture with node_exporter names and values', async (t) => {
  const r = await scrape('full');
  t.is(r.success['hwmon'], 1);
  // Named after the device link (platform bus, ACPI), the name file, or the directory.
  t.is(valueOf(r.text, 'node_hwmon_chip_names{chip="platform_coretemp_0",chip_name="coretemp"}'), 1);
  t.is(valueOf(r.text, 'node_hwmon_chip_names{chip="lnxsybus:00_acpi000d:00",chip_name="power_meter"}'), 1);
  t.is(valueOf(r.text, 'node_hwmon_chip_names{chip="nvme",chip_name="nvme"}'), 1);
  t.is(valueOf(r.text, 'node_hwmon_temp_celsius{chip="hwmon4",sensor="temp1"}'), 41);
  t.is(valueOf(r.text, 'node_hwmon_temp_celsius{chip="platform_coretemp_0",sensor="temp1"}'), 55);
  t.is(valueOf(r.text, 'node_hwmon_temp_crit_celsius{chip="platform_coretemp_0",sensor="temp2"}'), 100);
  t.is(valueOf(r.text, 'node_hwmon_temp_crit_alarm_celsius{chip="platform_coretemp_0",sensor="temp2"}'), 0);
  t.is(valueOf(r.text, 'node_hwmon_temp_max_celsius{chip="nvme",sensor="temp1"}'), 81.85000000000001);
  t.is(valueOf(r.text, 'node_hwmon_temp_min_celsius{chip="nvme",sensor="temp1"}'), -273.15000000000003);
  t.is(valueOf(r.text, 'node_hwmon_temp_max_hyst_celsius{chip="platform_nct6775_656",sensor="temp1"}'), 75);
  t.is(valueOf(r.text, 'node_hwmon_fan_rpm{chip="platform_nct6775_656",sensor="fan1"}'), 1098);
  t.is(valueOf(r.text, 'node_hwmon_fan_min_rpm{chip="platform_nct6775_656",sensor="fan1"}'), 300);
  t.is(valueOf(r.text, 'node_hwmon_fan_target_rpm{chip="platform_nct6775_656",sensor="fan1"}'), 27000);
  t.is(valueOf(r.text, 'node_hwmon_fan_pulses{chip="platform_nct6775_656",sensor="fan1"}'), 2);
  t.is(valueOf(r.text, 'node_hwmon_fan_beep_enabled{chip="platform_nct6775_656",sensor="fan1"}'), 0);
  t.is(valueOf(r.text, 'node_hwmon_in_volts{chip="platform_nct6775_656",sensor="in0"}'), 1.032);
  t.is(valueOf(r.text, 'node_hwmon_cpu_vid_volts{chip="platform_nct6775_656",sensor="cpu0"}'), 1.55);
  t.is(valueOf(r.text, 'node_hwmon_intrusion_alarm{chip="platform_nct6775_656",sensor="intrusion0"}'), 1);
  t.is(valueOf(r.text, 'node_hwmon_beep_enabled{chip="platform_nct6775_656",sensor="beep_enable0"}'), 0);
  t.is(valueOf(r.text, 'node_hwmon_voltage_regulator_version{chip="platform_nct6775_656",sensor="vrm0"}'), 90);
  t.is(valueOf(r.text, 'node_hwmon_update_interval_seconds{chip="platform_nct6775_656",sensor="update_interval0"}'), 1);
  t.is(valueOf(r.text, 'node_hwmon_pwm{chip="platform_nct6775_656",sensor="pwm1"}'), 153);
  t.is(valueOf(r.text, 'node_hwmon_power_average_watt{chip="lnxsybus:00_acpi000d:00",sensor="power1"}'), 152);
  t.is(valueOf(r.text, 'node_hwmon_power_average_interval_seconds{chip="lnxsybus:00_acpi000d:00",sensor="power1"}'), 1);
  t.is(valueOf(r.text, 'node_hwmon_power_accuracy{chip="lnxsybus:00_acpi000d:00",sensor="power1"}'), 0.095);
  t.is(valueOf(r.text, 'node_hwmon_curr_amps{chip="hwmon4",sensor="curr1"}'), 1.5);
  t.is(valueOf(r.text, 'node_hwmon_energy_joule_total{chip="hwmon4",sensor="energy1"}'), 123.456789);
  t.is(valueOf(r.text, 'node_hwmon_humidity{chip="hwmon4",sensor="humidity1"}'), 0.045);
  t.is(valueOf(r.text, 'node_hwmon_freq_freq_mhz{chip="hwmon4",sensor="sclk"}'), 214);
  // Older drivers: attributes in the device directory.
  t.is(valueOf(r.text, 'node_hwmon_temp_celsius{chip="platform_it87_2608",sensor="temp1"}'), 42);
  t.is(valueOf(r.text, 'node_hwmon_fan_rpm{chip="platform_it87_2608",sensor="fan1"}'), 2000);
  // Labels are served even when the value cannot be parsed.
  t.is(valueOf(r.text, 'node_hwmon_sensor_label{chip="platform_coretemp_0",label="Package id 0",sensor="temp1"}'), 1);
  t.is(valueOf(r.text, 'node_hwmon_sensor_label{chip="platform_coretemp_0",label="Core 1",sensor="temp3"}'), 1);
  t.false(/^node_hwmon_temp_celsius\{chip="platform_coretemp_0",sensor="temp3"\}/m.test(r.text));
  // The dangling hwmon6 link and the README file are not chips; nothing of the directories' other files leaks.
  t.false(/hwmon6|readme|power_runtime/.test(r.text));
  t.regex(r.text, /# HELP node_hwmon_temp_celsius Hardware monitor for temperature \(input\)\n# TYPE node_hwmon_temp_celsius gauge\n/);
  t.regex(r.text, /# HELP node_hwmon_chip_names Annotation metric for human-readable chip names\n/);
  t.regex(r.text, /# HELP node_hwmon_sensor_label Label for given chip and sensor\n/);
  t.regex(r.text, /# HELP node_hwmon_pwm Hardware monitor pwm element \n/);
  t.regex(r.text, /# TYPE node_hwmon_energy_joule_total counter\n/);
});

test('two hwmon directories of one device get distinct chip labels', async (t) => {
  const r = await scrape('collision');
  t.is(r.success['hwmon'], 1);
  t.is(valueOf(r.text, 'node_hwmon_pwm_enable{chip="platform_asus_nb_wmi_asus",sensor="pwm1"}'), 2);
  t.is(valueOf(r.text, 'node_hwmon_pwm_enable{chip="platform_asus_nb_wmi_asus_wmi_sensors",sensor="pwm1"}'), 2);
  t.is(valueOf(r.text, 'node_hwmon_temp_celsius{chip="platform_asus_nb_wmi_asus_wmi_sensors",sensor="temp1"}'), 51);
});

test('chip and sensor filters', async (t) => {
  const chips = await scrape('full', '--collector.hwmon.chip-include', '^platform_');
  t.true(chips.text.includes('chip="platform_coretemp_0"'));
  t.false(chips.text.includes('chip="nvme"'));
  const sensors = await scrape('full', '--collector.hwmon.sensor-exclude', '^platform_coretemp_0;temp[12]$');
  t.is(valueOf(sensors.text, 'node_hwmon_temp_celsius{chip="platform_coretemp_0",sensor="temp1"}'), undefined);
  t.is(valueOf(sensors.text, 'node_hwmon_sensor_label{chip="platform_coretemp_0",label="Core 1",sensor="temp3"}'), 1);
  t.is(valueOf(sensors.text, 'node_hwmon_temp_celsius{chip="nvme",sensor="temp1"}'), 38.85);
});

test('a chip that cannot be listed fails the scrape, the others are still served', async (t) => {
  const r = await scrape('broken-chip');
  t.is(r.success['hwmon'], 0);
  t.is(valueOf(r.text, 'node_hwmon_temp_celsius{chip="nvme",sensor="temp1"}'), 38.85);
  t.true(r.logs.some((l) => l.includes('collector failed') && l.includes('ENOTDIR')));
});

test('no /sys/class/hwmon is "no data"', async (t) => {
  const r = await scrape('missing');
  t.is(r.success['hwmon'], 0);
  t.true(r.logs.some((l) => l.includes('level=DEBUG') && l.includes('collector returned no data')));
});
