/**
 * loadavg on macOS/Windows: node_load1/5/15 from os.loadavg() (getloadavg(3), no process started),
 * read at scrape time. Windows has no load average (os.loadavg() is always 0, 0, 0), so there the
 * collector reports no data rather than zeros that look like an idle machine.
 */
import type { CollectorFactory } from '../collector/collector.js';
import { desc } from '../exposition/model.js';
import type { FallbackDeps } from './system-info.js';
import { NoDataError } from '../hostfs/errors.js';

const load1 = desc('node_load1', '1m load average.', 'gauge');
const load5 = desc('node_load5', '5m load average.', 'gauge');
const load15 = desc('node_load15', '15m load average.', 'gauge');

export function fallbackLoadavgCollector(deps: Pick<FallbackDeps, 'os' | 'platform'>): CollectorFactory {
  return {
    name: 'loadavg',
    defaultEnabled: true,
    create: () => ({
      async update(sink) {
        if (deps.platform === 'win32') throw new NoDataError('Windows has no load average');
        const [one, five, fifteen] = deps.os.loadavg();
        if (one === undefined || five === undefined || fifteen === undefined) throw new Error('os.loadavg() returned fewer than 3 values');
        sink.add(load1, one);
        sink.add(load5, five);
        sink.add(load15, fifteen);
      },
    }),
  };
}
