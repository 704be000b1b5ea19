#!/usr/bin/env bash
# Drives load at the sample server with ApacheBench (Debian: apache2-utils) and prints a short
# summary: requests/s, latency percentiles, errors.
#
#   loadtest/ab.sh [-c CONCURRENCY] [-t SECONDS] [-n MAX_REQUESTS] [-k] [URL]
#
# Defaults: -c 4 -t 10 -n 100000, URL http://127.0.0.1:8080/cpu?ms=20 (each request burns
# 20 ms of CPU in the server, so the host's CPU graph shows the run). The run ends at whichever
# bound comes first. Targets are limited to loopback (127.0.0.0/8, localhost, [::1]) and the
# Compose services of this project, so the script cannot be pointed at anyone else's machine.
# loadtest/load.mjs is the same tool in Node, for machines without ab.
set -euo pipefail

readonly MAX_CONCURRENCY=256 MAX_SECONDS=300 MAX_REQUESTS=1000000
readonly COMPOSE_SERVICES='server|sidecar|prometheus|alertmanager|grafana'

usage() {
  sed -n '4,5p' "$0" | sed 's/^# *//' >&2
  exit 2
}
die() {
  echo "ab.sh: $*" >&2
  exit 2
}

concurrency=4 seconds=10 requests=100000 keepalive=()
while getopts 'c:t:n:kh' opt; do
  case $opt in
    c) concurrency=$OPTARG ;;
    t) seconds=$OPTARG ;;
    n) requests=$OPTARG ;;
    k) keepalive=(-k) ;;
    *) usage ;;
  esac
done
shift $((OPTIND - 1))
[ $# -le 1 ] || usage
url=${1:-http://127.0.0.1:8080/cpu?ms=20}

whole_in_range() { [[ $2 =~ ^[0-9]+$ ]] && [ "$2" -ge 1 ] && [ "$2" -le "$3" ] || die "$1 must be a whole number from 1 to $3, got '$2'"; }
whole_in_range -c "$concurrency" "$MAX_CONCURRENCY"
whole_in_range -t "$seconds" "$MAX_SECONDS"
whole_in_range -n "$requests" "$MAX_REQUESTS"
[ "$concurrency" -le "$requests" ] || die "-c ($concurrency) must not exceed -n ($requests)"

# The host part of http(s)://HOST[:PORT][/PATH]; ab needs a path, so add "/" when there is none.
[[ $url =~ ^https?://(\[[^]]*\]|[^/:?#]+)(:[0-9]{1,5})?([/?].*)?$ ]] || die "not an http(s) URL: $url"
host=${BASH_REMATCH[1]}
[ -n "${BASH_REMATCH[3]}" ] || url="$url/"
[[ ${BASH_REMATCH[3]} != \?* ]] || url="${url/\?//?}"
host_lc=${host,,}
if [[ $host_lc =~ ^127\.([0-9]{1,3})\.([0-9]{1,3})\.([0-9]{1,3})$ ]] && [ "${BASH_REMATCH[1]}" -le 255 ] && [ "${BASH_REMATCH[2]}" -le 255 ] && [ "${BASH_REMATCH[3]}" -le 255 ]; then :
elif [[ $host_lc =~ ^(localhost|\[::1\]|$COMPOSE_SERVICES)$ ]]; then :
else die "refusing target $host: only loopback (127.0.0.0/8, localhost, [::1]) or a Compose service ($COMPOSE_SERVICES)"; fi

command -v ab >/dev/null || die "ab not found (Debian/Ubuntu: apt-get install apache2-utils); loadtest/load.mjs needs only Node"

out=$(mktemp)
trap 'rm -f "$out"' EXIT
# -t before -n: ab's -t resets the request cap to 50000, a later -n sets ours. -s bounds each
# request; -r keeps going on socket errors so they are counted rather than ending the run; -l
# accepts bodies of varying length (ab would otherwise count each as a failure).
status=0
ab -q -r -l "${keepalive[@]}" -c "$concurrency" -t "$seconds" -n "$requests" -s 10 "$url" >"$out" 2>&1 || status=$?
if [ "$status" -ne 0 ] && ! grep -q '^Requests per second:' "$out"; then
  cat "$out" >&2
  die "ab failed (exit $status)"
fi

field() { awk -F':' -v k="$1" '$1 == k { sub(/^[ \t]+/, "", $2); split($2, a, " "); print a[1]; exit }' "$out"; }
pct() { awk -v p="$1" '$1 == p"%" { print $2; exit }' "$out"; }
complete=$(field 'Complete requests')
# ab's "Failed requests" also counts bodies whose length differs from the first one's, which is
# no error for a dynamic page: count only connect, receive and exception failures.
read -r connect receive exceptions < <(sed -n 's/^ *(Connect: \([0-9]*\), Receive: \([0-9]*\), Length: [0-9]*, Exceptions: \([0-9]*\)).*/\1 \2 \3/p' "$out") || true
failed=$((${connect:-0} + ${receive:-0} + ${exceptions:-0}))
non2xx=$(field 'Non-2xx responses')
non2xx=${non2xx:-0}
# ab's "Complete requests" includes those that got no response (receive failures): they are not
# completed requests, and its requests/s counts them too.
answered=$((${complete:-0} - ${receive:-0}))
[ "$answered" -gt 0 ] || answered=0
duration=$(field 'Time taken for tests')
errors=$((failed + non2xx))
cat <<EOF
tool          ab
target        $url
concurrency   $concurrency
duration      $duration s
requests      $answered complete, $errors errors ($failed failed, $non2xx non-2xx)
throughput    $(awk -v n="$answered" -v s="$duration" 'BEGIN { printf "%.2f", (s > 0 ? n / s : 0) }') requests/s
latency ms    p50 $(pct 50)  p90 $(pct 90)  p99 $(pct 99)  max $(pct 100)
EOF
# A run where most requests failed (more errors than 2xx answers) measured nothing: say so and fail.
succeeded=$((answered - non2xx))
if [ "$succeeded" -le 0 ] || [ "$errors" -gt "$succeeded" ]; then
  echo "ab.sh: most requests failed ($errors errors, $((succeeded > 0 ? succeeded : 0)) succeeded): is the server running and listening at $url?" >&2
  exit 1
fi
