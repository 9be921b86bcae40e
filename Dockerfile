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
# DNS over UDP and TCP. Inside a container, listen on all addresses; map to 53 at the edge
# (docker run -p 53:1053/udp -p 53:1053/tcp) or grant NET_BIND_SERVICE to listen on 53 itself.
EXPOSE 1053/udp 1053/tcp
USER node
ENTRYPOINT ["node", "/app/dist/main.js"]
CMD ["--listen", "0.0.0.0:1053", "--zones", "/app/zones"]
