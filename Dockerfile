# syntax=docker/dockerfile:1
# Build stage: compile TypeScript with the dev dependencies.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build && npm prune --omit=dev

# Runtime stage: the compiled server, production dependencies and the default zones only.
FROM node:20-bookworm-slim
ENV NODE_ENV=production
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
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:8080/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
ENTRYPOINT ["/app/dist/main.js"]
CMD ["--listen", "0.0.0.0:1053", "--zones", "/app/zones"]
