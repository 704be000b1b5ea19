#!/usr/bin/env bash
# Installs the system packages the test suite runs against: the real Prometheus tools the
# exporter is compared with (node_exporter, promtool, ...), the load and ping tools, and what
# runs the project's images and compose.yml for real without a Docker engine (podman serving
# the Docker API, Debian's docker-compose, mmdebstrap for the base images' stand-ins).
# Debian/Ubuntu only; needs root (or sudo). Safe to run again: apt-get skips what is there.
set -euo pipefail

packages=(
  prometheus                    # promtool and the server, for rule and dashboard-query tests
  prometheus-node-exporter      # the anchor for the side-by-side tests and the benchmark
  prometheus-process-exporter
  prometheus-blackbox-exporter
  prometheus-alertmanager
  apache2-utils                 # ab, for the load test
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
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-test-deps: all ${#packages[@]} packages are installed"
  exit 0
fi

if [ "$(id -u)" -eq 0 ]; then as_root=(); elif command -v sudo >/dev/null; then as_root=(sudo); else
  echo "install-test-deps: run as root to install: ${missing[*]}" >&2
  exit 1
fi
echo "install-test-deps: installing ${missing[*]}"
"${as_root[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${as_root[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
