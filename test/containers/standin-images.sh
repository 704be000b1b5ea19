#!/usr/bin/env bash
# Builds local stand-ins for the base images that the Dockerfiles and compose.yml name, on a
# machine that cannot pull from an image registry, and tags them with exactly those names, so
# the project's own files build and run unchanged with --pull=never:
#   docker.io/library/node:<ver>-bookworm, node:<ver>-bookworm-slim   this machine's node and npm
#   docker.io/prom/prometheus:<ver>, docker.io/prom/alertmanager:<ver> Debian's binaries
# Grafana has neither a Debian package nor an npm build: no stand-in (the test says so).
#
# Each is a Debian 12 rootfs made by mmdebstrap from the Debian mirror. What a stand-in holds
# is not what the upstream image holds (Debian's Prometheus 2.42 under the v2.53.3 tag, the
# host's Node 20 under 20.19.5): it stands in for the shape (paths, users, entrypoints, wget for
# the health checks), which is what the project's files depend on.
#
#   test/containers/standin-images.sh            uses podman (CONTAINERS_CONF as the caller set it)
#   STANDIN_CACHE=dir  keeps the rootfs tarball between runs (default: ~/.cache/sidecar-exporter)
#   STANDIN_REBUILD=1  rebuilds images that already exist
set -euo pipefail
cd "$(dirname "$0")/../.."

cache=${STANDIN_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/sidecar-exporter}
mkdir -p "$cache"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The names the project's files use: ARG NODE_VERSION in both Dockerfiles, image: in compose.yml.
node_version=$(sed -n 's/^ARG NODE_VERSION=//p' Dockerfile)
[ -n "$node_version" ] || { echo "standin-images: no ARG NODE_VERSION in Dockerfile" >&2; exit 1; }
server_node_version=$(sed -n 's/^ARG NODE_VERSION=//p' loadtest/server/Dockerfile)
[ "$server_node_version" = "$node_version" ] || { echo "standin-images: the two Dockerfiles name different Node versions ($node_version, $server_node_version)" >&2; exit 1; }
prometheus_image=$(sed -n 's/^ *image: *\(prom\/prometheus:.*\)$/\1/p' compose.yml)
alertmanager_image=$(sed -n 's/^ *image: *\(prom\/alertmanager:.*\)$/\1/p' compose.yml)
[ -n "$prometheus_image" ] && [ -n "$alertmanager_image" ] || { echo "standin-images: compose.yml names no prom/prometheus or prom/alertmanager image" >&2; exit 1; }

exists() { [ -z "${STANDIN_REBUILD:-}" ] && podman image exists "$1"; }
build() { # build <tag> <Containerfile> <context dir>, never pulling; docker format keeps HEALTHCHECK
  echo "standin-images: building $1"
  podman build --pull=never --format docker --quiet -t "$1" -f "$2" "$3" >/dev/null
}

rootfs_image=localhost/sidecar-exporter-standin/debian:bookworm
if ! exists "$rootfs_image"; then
  tarball=$cache/debian-bookworm-minbase.tar
  if [ ! -f "$tarball" ] || [ ! -s "$tarball" ] || [ -n "${STANDIN_REBUILD:-}" ]; then
    echo "standin-images: mmdebstrap bookworm (minbase) -> $tarball"
    rm -rf "$tarball" "$tarball.tmp"
    # --format: mmdebstrap otherwise guesses the format from the name, and ".tmp" is a directory.
    mmdebstrap --quiet --format=tar --variant=minbase --include=ca-certificates bookworm "$tarball.tmp"
    mv "$tarball.tmp" "$tarball"
  fi
  podman import --quiet --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'CMD ["/bin/bash"]' "$tarball" "$rootfs_image" >/dev/null
fi

# Node: this machine's node binary and npm, in /usr/local as the official image has them, with
# its user node (1000:1000). Behind a TLS-intercepting proxy npm needs the proxy's CA: the file
# NODE_EXTRA_CA_CERTS names here (else this machine's CA bundle) is copied in and named the
# same way there.
node_bin=$(readlink -f "$(command -v node)")
npm_dir=$(readlink -f "$(dirname "$(readlink -f "$(command -v npm)")")/..")
mkdir -p "$work/node"
cp "$node_bin" "$work/node/node"
cp -a "$npm_dir" "$work/node/npm"
ca_lines=()
ca_file=${NODE_EXTRA_CA_CERTS:-/etc/ssl/certs/ca-certificates.crt}
if [ -s "$ca_file" ]; then
  cp "$ca_file" "$work/node/extra-ca.pem"
  ca_lines=('COPY extra-ca.pem /usr/local/share/ca-certificates/standin-extra-ca.pem'
            'ENV NODE_EXTRA_CA_CERTS=/usr/local/share/ca-certificates/standin-extra-ca.pem')
fi
{
  echo "FROM $rootfs_image"
  echo 'COPY node /usr/local/bin/node'
  echo 'COPY npm /usr/local/lib/node_modules/npm'
  echo 'RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \'
  echo ' && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx \'
  echo ' && groupadd --gid 1000 node && useradd --uid 1000 --gid node --shell /bin/bash --create-home node'
  printf '%s\n' "${ca_lines[@]}"
  echo 'CMD ["node"]'
} > "$work/node/Containerfile"
for variant in bookworm bookworm-slim; do
  tag=docker.io/library/node:$node_version-$variant
  exists "$tag" || build "$tag" "$work/node/Containerfile" "$work/node"
done

# Prometheus and Alertmanager: Debian's binaries at the official images' paths, run as nobody,
# with a writable data folder (a new named volume copies its owner) and wget for the health
# checks. Debian's Alertmanager reads its notification templates from
# /usr/share/prometheus/alertmanager (upstream embeds them): without them it rejects every config.
prometheus_bin=$(command -v prometheus)
alertmanager_bin=$(command -v prometheus-alertmanager)
mkdir -p "$work/prom"
cp "$prometheus_bin" "$work/prom/prometheus"
cp "$alertmanager_bin" "$work/prom/alertmanager"
cp -a /usr/share/prometheus/alertmanager "$work/prom/alertmanager-share"
cat > "$work/prom/Containerfile.base" <<EOF
FROM $rootfs_image
RUN apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends wget >/dev/null \
 && rm -rf /var/lib/apt/lists/*
EOF
prom_base=localhost/sidecar-exporter-standin/debian-wget:bookworm
exists "$prom_base" || build "$prom_base" "$work/prom/Containerfile.base" "$work/prom"
cat > "$work/prom/Containerfile.prometheus" <<EOF
FROM $prom_base
COPY prometheus /bin/prometheus
RUN mkdir -p /prometheus /etc/prometheus && chown 65534:65534 /prometheus
USER 65534
WORKDIR /prometheus
EXPOSE 9090
ENTRYPOINT ["/bin/prometheus"]
CMD ["--config.file=/etc/prometheus/prometheus.yml", "--storage.tsdb.path=/prometheus"]
EOF
cat > "$work/prom/Containerfile.alertmanager" <<EOF
FROM $prom_base
COPY alertmanager /bin/alertmanager
COPY alertmanager-share /usr/share/prometheus/alertmanager
RUN mkdir -p /alertmanager /etc/alertmanager && chown 65534:65534 /alertmanager
USER 65534
WORKDIR /alertmanager
EXPOSE 9093
ENTRYPOINT ["/bin/alertmanager"]
CMD ["--config.file=/etc/alertmanager/alertmanager.yml", "--storage.path=/alertmanager"]
EOF
for pair in "prometheus:$prometheus_image" "alertmanager:$alertmanager_image"; do
  name=${pair%%:*} tag=docker.io/${pair#*:}
  exists "$tag" || build "$tag" "$work/prom/Containerfile.$name" "$work/prom"
done
echo "standin-images: ready: node:$node_version-bookworm{,-slim}, $prometheus_image, $alertmanager_image"
