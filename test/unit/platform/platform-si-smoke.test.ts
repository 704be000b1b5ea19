/**
 * The one test that touches the real systeminformation: it only imports it (which starts no
 * process) and checks the calls the fallback collectors use exist. No call is made.
 */
import test from 'ava';
import type { SystemInfoSource } from '../../../src/platform/system-info.js';

test('systeminformation imports and has every call the fallback collectors make', async (t) => {
  const si = await import('systeminformation');
  const used: (keyof SystemInfoSource)[] = ['system', 'bios', 'baseboard', 'chassis', 'cpu', 'mem', 'fsSize', 'networkStats'];
  for (const name of used) t.is(typeof si[name], 'function', name);
});
