# sidecar-exporter's image: built with the full Node image, run on the slim one with only the
# production dependencies and iputils ping (for the icmp checks), as the unprivileged `node` user.
#
#   docker build -t sidecar-exporter .
#   docker run --rm -p 9100:9100 sidecar-exporter --web.listen-address=:9100
ARG NODE_VERSION=20.19.5

FROM node:${NODE_VERSION}-bookworm AS build
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: "prepare" compiles, and the sources are not here yet.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
RUN npx tsc -p . && npm prune --omit=dev --ignore-scripts --no-audit --no-fund

FROM node:${NODE_VERSION}-bookworm-slim
# iputils ping, for the icmp checks. It opens an ICMP datagram socket when the sysctl
# net.ipv4.ping_group_range covers the user's group (Docker 20.10+ sets it for every container,
# compose.yml sets it, Kubernetes takes it as a safe pod sysctl), and a raw socket otherwise.
# For the raw socket the file capability is cap_net_raw "+p" (permitted, not effective): ping
# raises it itself when the container's bounding set has NET_RAW, and still starts when it does
# not. "+ep" (Debian's default) would make the kernel refuse to execute ping at all in a
# container started with cap_drop: [ALL]. setcap comes from libcap2-bin, which ping depends on:
# it stays installed (purging it removes ping too).
# catatonit: the PID 1 of the Compose stack's `pause` service, which owns the PID namespace the
# server and the sidecar share, as the pause container does in a Kubernetes pod (compose.yml).
RUN apt-get update \
 && apt-get install -y --no-install-recommends iputils-ping catatonit \
 && setcap cap_net_raw+p "$(command -v ping)" \
 && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/build/src ./build/src
# uid 1000, the same user as the sample server's image: reading another process's
# /proc/<pid>/io and fd/ needs the same user (or CAP_SYS_PTRACE, which this image never asks for).
USER node
EXPOSE 9100
# HEALTHCHECK_URL when --web.listen-address is not :9100.
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch(process.env.HEALTHCHECK_URL || 'http://127.0.0.1:9100/-/healthy', { signal: AbortSignal.timeout(2500) }).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# The V8 flags of build/src/main.js's first line (see there), as the bin and `npm start` pass them.
ENTRYPOINT ["node", "--max-semi-space-size=2", "--heap-growing-percent=20", "--single-threaded", "build/src/main.js"]
CMD ["--web.listen-address=:9100"]
