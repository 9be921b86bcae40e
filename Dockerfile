# syntax=docker/dockerfile:1
# The Node.js release line the image runs on, an LTS one: .ci/run also runs the test suite on it.
ARG NODE_MAJOR=24

# Build stage: compile TypeScript with the dev dependencies.
FROM node:${NODE_MAJOR}-bookworm-slim AS build
# The commit built, for coredns_build_info's revision (docker build --build-arg REVISION=$(git rev-parse HEAD) .).
ARG REVISION=""
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build && printf '%s\n' "$REVISION" > dist/REVISION && npm prune --omit=dev

# Runtime stage: node, the compiled server, production dependencies and the default zones. No
# package manager: nothing here installs anything, and npm, npx, corepack and yarn are code an
# attacker could use and a scanner reports.
FROM node:${NODE_MAJOR}-bookworm-slim
RUN rm -rf /usr/local/lib/node_modules /usr/local/bin/npm /usr/local/bin/npx /usr/local/bin/corepack \
    /usr/local/bin/yarn /usr/local/bin/yarnpkg /opt/yarn-*
# Settings as variables, so that arguments add to them (docker run clusterdns --ttl 30 keeps the
# address). A Corefile's server blocks keep their own addresses: CLUSTERDNS_LISTEN does not move
# them. Workers default to the CPUs the container's quota allows.
ENV NODE_ENV=production \
    CLUSTERDNS_LISTEN=0.0.0.0:1053
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY zones ./zones
# DNS over UDP and TCP on 1053; health on 8080, readiness on 8181, Prometheus metrics on 9153.
# The server runs unprivileged: publish 53 at the edge (docker run -p 53:1053/udp -p 53:1053/tcp),
# or let it bind 53 itself with the net.ipv4.ip_unprivileged_port_start=53 sysctl (docker run
# --sysctl ..., or the pod securityContext in deploy/kubernetes/) and --listen 0.0.0.0:53.
EXPOSE 1053/udp 1053/tcp 8080/tcp 8181/tcp 9153/tcp
USER node
# SIGTERM starts the lame-duck time (--lameduck, 5 s), then the server stops at once: well inside
# docker stop's 10 s. No HEALTHCHECK: Kubernetes ignores it and runs the manifests' probes; the
# health address is configuration (--health, a Corefile's health), so a fixed check would fail a
# healthy server; and the only HTTP client here is node, a second process of some 40 MB every
# interval. docs/deployment.md#the-image gives a check for plain Docker that needs no node.
ENTRYPOINT ["/app/dist/main.js"]
