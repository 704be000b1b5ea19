import test from 'ava';
import { DeviceFilter, filterFlags, filterFromFlags } from '../../../src/collector/device-filter.js';
import { parseFlags } from '../../../src/cli/flags.js';
import { UserRegex } from '../../../src/gocompat/user-regex.js';

const specs = filterFlags('collector.x.device', 'devices', '^(loop|ram)\\d+$');

test('the default exclude applies until an include is given', (t) => {
  const byDefault = filterFromFlags(parseFlags(specs, []), specs);
  t.true(byDefault.ignored('loop0'));
  t.false(byDefault.ignored('sda'));
  const included = filterFromFlags(parseFlags(specs, ['--collector.x.device-include=^loop']), specs);
  t.false(included.ignored('loop0'));
  t.true(included.ignored('sda'));
});

test('include and exclude together are refused', (t) => {
  t.throws(() => filterFromFlags(parseFlags(specs, ['--collector.x.device-include=a', '--collector.x.device-exclude=b']), specs), {
    message: '--collector.x.device-include and --collector.x.device-exclude are mutually exclusive',
  });
});

test('regexes match anywhere in the name, like Go\'s MatchString', (t) => {
  t.true(new DeviceFilter(UserRegex.compile('eth')).ignored('veth123'));
  t.false(new DeviceFilter().ignored('anything'));
});
