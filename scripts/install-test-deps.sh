#!/usr/bin/env bash
# Installs the system packages the test suite runs against: the real Prometheus tools the
# exporter is compared with (node_exporter, promtool, ...), the load and ping tools, and what
# runs the project's images and compose.yml for real without a Docker engine (podman serving
# the Docker API, Debian's docker-compose, mmdebstrap for the base images' stand-ins).
# Debian/Ubuntu only. Run it as root or as a user with sudo (it calls sudo itself only when it
# must). Safe to run again: apt-get skips what is there.
set -euo pipefail

packages=(
  prometheus                    # promtool and the server, for rule and dashboard-query tests
  prometheus-node-exporter      # the anchor for the side-by-side tests and the benchmark
  prometheus-process-exporter
  prometheus-blackbox-exporter
  prometheus-alertmanager
  apache2-utils                 # ab, for the load test; htpasswd, for the web config tests
  openssl                       # certificates for the web config (TLS) tests
  iputils-ping                  # the system ping the ICMP checks run
  iproute2                      # ip netns, for tests that need their own network
  util-linux                    # unshare and nsenter, for the shared-PID-namespace tests
  procps
  docker-compose                # validates compose.yml, and drives podman's Docker API for the stack test
  python3-fusepy fuse3          # a FUSE filesystem whose statfs hangs, for the hung-mount test
  podman runc                   # the container stack test (test/serial/compose-stack.test.ts): podman
  containernetworking-plugins   #   with runc, netavark networks with aardvark-dns (service names),
  netavark aardvark-dns         #   fuse-overlayfs and uidmap as podman expects them,
  fuse-overlayfs uidmap slirp4netns
  mmdebstrap                    #   and a Debian rootfs for the base images' stand-ins
  catatonit                     # the infra (pause) container of `podman kube play` pods (test/serial/kube-play.test.ts)
  dnsmasq-base                  # a DNS server on a loopback port, the dns prober's target (test/compat/probe-blackbox-tcp-dns.test.ts)
)

# Debian enables and starts the services of these packages; the tests need only the binaries
# (they start them on ports of their own), and a running node_exporter would hold :9100, the
# exporter's own default port, so `npm start` would fail with "address in use".
services=(prometheus prometheus-node-exporter prometheus-process-exporter prometheus-blackbox-exporter prometheus-alertmanager)

# root runs commands as is; anyone else through sudo, when there is one.
as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    echo "install-test-deps: needs root (or sudo) for: $*" >&2
    return 1
  fi
}

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-test-deps: all ${#packages[@]} packages are installed"
else
  echo "install-test-deps: installing ${missing[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# Stop and disable those services where an init system runs them (systemd; or SysV scripts).
if command -v systemctl >/dev/null && [ "$(systemctl is-system-running 2>/dev/null)" != offline ] && [ -n "$(systemctl is-system-running 2>/dev/null)" ]; then
  for s in "${services[@]}"; do
    if systemctl is-enabled --quiet "$s" 2>/dev/null || systemctl is-active --quiet "$s" 2>/dev/null; then
      echo "install-test-deps: stopping and disabling the $s service (the tests run the binary themselves)"
      as_root systemctl disable --now "$s" >/dev/null
    fi
  done
else
  for s in "${services[@]}"; do
    if [ -x "/etc/init.d/$s" ] && "/etc/init.d/$s" status >/dev/null 2>&1; then
      echo "install-test-deps: stopping the $s service (the tests run the binary themselves)"
      as_root "/etc/init.d/$s" stop >/dev/null
      command -v update-rc.d >/dev/null && as_root update-rc.d "$s" disable >/dev/null 2>&1 || true
    fi
  done
fi
