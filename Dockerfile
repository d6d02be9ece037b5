# syntax=docker/dockerfile:1
# The registry server (`stowage serve`) as a container: the AWS stack's upload service, or the
# whole registry on Kubernetes/ECS (deploy/kubernetes.yaml). Adapters are chosen by environment
# (STOWAGE_STORAGE=s3, STOWAGE_METADATA=dynamodb, STOWAGE_S3_BUCKET, ...; `stowage serve --help`).
# Builds for the platform asked (`docker build --platform linux/arm64 .`); the CDK stack asks arm64.

FROM node:22-bookworm-slim AS build
WORKDIR /app
# better-sqlite3 (the embedded metadata store, loaded by the CLI) builds from source where no
# prebuilt binary matches.
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts && npm rebuild better-sqlite3
COPY tsconfig.json ./
COPY src ./src
# Only the runtime sources: the CDK app, tests and benchmarks are not part of the image.
RUN printf '{"extends":"./tsconfig.json","include":["src"]}' > tsconfig.image.json && npx tsc -p tsconfig.image.json
# The web console (src/ui, excluded above): esbuild bundles it into dist/ui/, served at /ui/.
COPY scripts/build-ui.mjs ./scripts/build-ui.mjs
RUN npx tsc -p src/ui/tsconfig.json && node scripts/build-ui.mjs
# Production dependencies only; the CDK libraries are for `cdk deploy`, not for the server.
RUN npm prune --omit=dev && rm -rf node_modules/aws-cdk-lib node_modules/constructs

FROM node:22-bookworm-slim
ENV NODE_ENV=production \
    STOWAGE_HOST=0.0.0.0 \
    STOWAGE_PORT=5000 \
    STOWAGE_DATA_DIR=/var/lib/stowage
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist/src ./dist/src
COPY --from=build /app/dist/ui ./dist/ui
COPY package.json ./
COPY bin/stowage.js ./bin/stowage.js
RUN mkdir -p /var/lib/stowage && chown node:node /var/lib/stowage
USER node
EXPOSE 5000
# Alive while /healthz answers 200 (no token needed; over HTTPS when a certificate is configured,
# unverified: it is the container asking itself). Readiness (/readyz) is the orchestrator's probe.
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "const h = require(process.env.STOWAGE_TLS_CERT ? 'node:https' : 'node:http'); h.get({ host: '127.0.0.1', port: process.env.STOWAGE_PORT || 5000, path: '/healthz', rejectUnauthorized: false }, (r) => process.exit(r.statusCode === 200 ? 0 : 1)).on('error', () => process.exit(1))"]
# Exec form, so node is PID 1 with no shell in between: SIGTERM from `docker stop`, ECS or
# Kubernetes reaches the server's own handler, which drains (STOWAGE_SHUTDOWN_TIMEOUT) and exits.
ENTRYPOINT ["node", "bin/stowage.js"]
CMD ["serve"]
