# Aftercare: API and Temporal worker, run from TypeScript sources with tsx (a runtime dependency).
# Build: docker build -t aftercare .    Run: docker-compose.yml runs two workers and two APIs from this
# image, each with its own command (docs/deployment.md).
FROM node:20-bookworm-slim

ENV NODE_ENV=production \
    AFTERCARE_HOST=0.0.0.0 \
    AFTERCARE_PORT=3000 \
    AFTERCARE_DATA_DIR=/data

WORKDIR /app

# Dependencies first, so source edits reuse this layer. The lockfile pins the Linux builds of the
# native packages (@temporalio/core-bridge, @swc/core, esbuild).
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund \
    && npm cache clean --force

COPY tsconfig.json ./
COPY src ./src
COPY templates ./templates
COPY playbooks ./playbooks

# /data belongs to `node`, so a fresh named volume mounted there is writable too.
RUN mkdir -p /data && chown node:node /data

USER node

EXPOSE 3000

# A bounded heap: sleeping journeys leave the workflow cache (AFTERCARE_WORKFLOW_CACHE, 500), and without a
# limit V8 sizes the heap from the host's memory and collects lazily, so RSS drifts up with every order
# (npm run bench: docs/performance.md). Override with NODE_OPTIONS when raising the cache.
ENV NODE_OPTIONS=--max-old-space-size=512

# `--import tsx` registers tsx's ESM and CommonJS hooks in this very process (Node >= 20.6): no
# npx and no child process, so SIGTERM reaches the app directly for a graceful worker shutdown.
# By default both roles in one process (set TEMPORAL_ADDRESS: without it src/main.ts starts a dev server).
# One role each, as docker-compose.yml runs them: `node --import tsx src/worker.ts` (= npm run worker) or
# `node --import tsx src/server.ts` (= npm run api).
CMD ["node", "--import", "tsx", "src/main.ts"]
