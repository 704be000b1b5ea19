/** The uptime_* families, written from the scheduler's state at scrape time. */
import type { MetricSink } from '../collector/sink.js';
import { formatGoFloat } from '../gocompat/go-float.js';
import { desc } from '../exposition/model.js';
import { FAILURE_REASONS } from '../probe/types.js';
import { HTTP_PHASES } from './check-metrics.js';
import type { CheckView } from './scheduler.js';

const CHECK_LABELS = ['protocol', 'target', 'name'] as const;

export const uptimeDescs = {
  checks: desc('uptime_checks_total', 'Scheduled uptime checks completed, successful or not.', 'counter', CHECK_LABELS),
  successes: desc('uptime_checks_success_total', 'Scheduled uptime checks that succeeded.', 'counter', CHECK_LABELS),
  failures: desc(
    'uptime_check_failures_total',
    `Scheduled uptime checks that failed, by reason (${FAILURE_REASONS.join(', ')}).`,
    'counter',
    [...CHECK_LABELS, 'reason'],
  ),
  skipped: desc(
    'uptime_check_skipped_total',
    'Scheduled runs not started because the previous run of the same check was still going (or waiting for a --checks.max-concurrency slot).',
    'counter',
    CHECK_LABELS,
  ),
  duration: desc('uptime_check_duration_seconds', 'Duration of successful uptime checks in seconds; failures are counted by reason instead.', 'histogram', CHECK_LABELS),
  created: desc(
    'uptime_check_created_timestamp_seconds',
    'Unix time when the check was set up (start-up, or the reload that added it); its counters count from then.',
    'gauge',
    CHECK_LABELS,
  ),
  up: desc('uptime_check_up', 'Whether the last completed check succeeded (1) or failed (0); absent until the first check completes.', 'gauge', CHECK_LABELS),
  lastSuccess: desc(
    'uptime_check_last_success_timestamp_seconds',
    'Unix time of the last successful check; absent until a check succeeds.',
    'gauge',
    CHECK_LABELS,
  ),
  httpStatus: desc('uptime_check_http_status_code', 'HTTP status code of the last check\'s final response; 0 when no response arrived.', 'gauge', CHECK_LABELS),
  httpPhase: desc(
    'uptime_check_http_phase_seconds',
    'Duration of each phase of the last HTTP check in seconds, summed over redirects.',
    'gauge',
    [...CHECK_LABELS, 'phase'],
  ),
  certExpiry: desc(
    'uptime_check_tls_cert_expiry_timestamp_seconds',
    'Earliest NotAfter of the certificate chain presented at the last TLS handshake of the check, in Unix seconds.',
    'gauge',
    CHECK_LABELS,
  ),
} as const;

/** The `le` values of the histogram buckets, formatted once per collector (every check shares the list). */
export function leLabels(buckets: readonly number[]): readonly string[] {
  return buckets.map(formatGoFloat);
}

/** Adds every check's series; `checks` is already in exposition order, `les` is leLabels of their buckets. */
export function writeUptimeMetrics(sink: MetricSink, checks: readonly CheckView[], les: readonly string[]): void {
  for (const c of checks) {
    const m = c.metrics;
    const labels = [c.protocol, c.target, c.name] as const;
    sink.add(uptimeDescs.checks, m.checks, ...labels);
    sink.add(uptimeDescs.successes, m.successes, ...labels);
    for (const reason of FAILURE_REASONS) sink.add(uptimeDescs.failures, m.failures[reason], ...labels, reason);
    sink.add(uptimeDescs.skipped, m.skipped, ...labels);
    sink.add(uptimeDescs.created, m.createdSeconds, ...labels);
    writeHistogram(sink, c, les);
    if (m.last) sink.add(uptimeDescs.up, m.last.success ? 1 : 0, ...labels);
    if (m.lastSuccessSeconds !== undefined) sink.add(uptimeDescs.lastSuccess, m.lastSuccessSeconds, ...labels);
    const http = m.last?.http;
    if (c.protocol === 'http' && m.last) {
      sink.add(uptimeDescs.httpStatus, http?.statusCode ?? 0, ...labels);
      for (const phase of HTTP_PHASES) sink.add(uptimeDescs.httpPhase, http?.phases[phase] ?? 0, ...labels, phase);
    }
    if (m.certExpirySeconds !== undefined) sink.add(uptimeDescs.certExpiry, m.certExpirySeconds, ...labels);
  }
}

function writeHistogram(sink: MetricSink, c: CheckView, les: readonly string[]): void {
  const m = c.metrics;
  const labels = { protocol: c.protocol, target: c.target, name: c.name };
  let cumulative = 0;
  for (let i = 0; i < les.length; i++) {
    cumulative += m.bucketCounts[i] as number;
    sink.addSample(uptimeDescs.duration, { suffix: '_bucket', labels: { ...labels, le: les[i] as string }, value: cumulative });
  }
  sink.addSample(uptimeDescs.duration, { suffix: '_bucket', labels: { ...labels, le: '+Inf' }, value: m.durationCount });
  sink.addSample(uptimeDescs.duration, { suffix: '_sum', labels, value: m.durationSum });
  sink.addSample(uptimeDescs.duration, { suffix: '_count', labels, value: m.durationCount });
}
