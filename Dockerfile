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
# ping needs either ICMP datagram sockets (the sysctl net.ipv4.ping_group_range covering the
# user's group; Docker 20.10+ sets it for containers, compose.yml sets it explicitly) or
# CAP_NET_RAW: the file capability below covers runtimes without the sysctl, as long as the
# container keeps NET_RAW (Docker's default; compose.yml drops all else) and does not run with
# no-new-privileges.
RUN apt-get update \
 && apt-get install -y --no-install-recommends iputils-ping libcap2-bin \
 && setcap cap_net_raw+ep "$(command -v ping)" \
 && chmod u-s "$(command -v ping)" \
 && apt-get purge -y libcap2-bin \
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
ENTRYPOINT ["node", "build/src/main.js"]
CMD ["--web.listen-address=:9100"]
