# syntax=docker/dockerfile:1
# Pulsecheck as a Linux container for Azure Functions (docs/deployment.md).
#   docker build --build-arg BUILD_VERSION="$(git rev-parse HEAD)" -t pulsecheck .
#   docker build --target datadog -t pulsecheck:datadog .    # wrapped by Datadog serverless-init
# The build stages use the same Debian release (bookworm) as the Functions base image, so any
# native addon a dependency ships is built for the C library it runs on.

ARG NODE_VERSION=22

# 1. Compile: every dependency, then tsc. --ignore-scripts because the `prepare` script would run
#    tsc before the sources are copied in; the build runs explicitly afterwards.
FROM node:${NODE_VERSION}-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
# BUILD_VERSION (the commit) is appended to the version as semver build metadata, so /api/health
# tells which image answers (the pipeline's smoke test waits for it).
ARG BUILD_VERSION=""
RUN npm run build \
 && find dist -name '*.js.map' -delete \
 && if [ -n "$BUILD_VERSION" ]; then npm pkg set version="$(node -p 'require("./package.json").version')+${BUILD_VERSION}"; fi

# 2. Production dependencies only. --ignore-scripts again: `prepare` would need tsc, a dev
#    dependency; the runtime dependencies need no install scripts.
FROM node:${NODE_VERSION}-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund

# 3. The Functions host (v4) with the Node.js 22 worker; its CMD starts the host and is kept.
FROM mcr.microsoft.com/azure-functions/node:4-node22 AS app
ARG BUILD_VERSION=""
LABEL org.opencontainers.image.title="pulsecheck" \
      org.opencontainers.image.revision="${BUILD_VERSION}"
# The worker runs with a 4 MB V8 young generation and AsyncLocalStorage on V8's context frames
# instead of promise hooks (bench/README.md); the host passes languageWorkers__node__arguments to
# every node worker it starts.
ENV AzureWebJobsScriptRoot=/home/site/wwwroot \
    AzureFunctionsJobHost__Logging__Console__IsEnabled=true \
    languageWorkers__node__arguments="--max-semi-space-size=4 --experimental-async-context-frame"
WORKDIR /home/site/wwwroot
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/package.json ./package.json
COPY host.json jobs.config.json jobs.schema.json ./

# 4. Optional: the same app wrapped by Datadog serverless-init, which starts a trace agent and
#    DogStatsD in the container and forwards logs (needs DD_API_KEY, DD_SITE). Setting ENTRYPOINT
#    clears the inherited CMD, so the base image's start script is named again.
FROM app AS datadog
COPY --from=datadog/serverless-init:1 /datadog-init /app/datadog-init
ENTRYPOINT ["/app/datadog-init"]
CMD ["/opt/startup/start_nonappservice.sh"]

# The default target (no --target): the plain app.
FROM app
