# The relay image, egret:0.1.0 (infra/k8s/relay/deployment.yaml runs `node /app/dist/agents/relay/main.js`
# as uid/gid 65532 with a read-only root filesystem and an emptyDir on /tmp).
#
# Build from the repository root; the context is the clone, trimmed by /.dockerignore:
#   az acr build --registry <acr> --image egret:0.1.0 --file infra/images/relay.Dockerfile .
#   docker buildx build --file infra/images/relay.Dockerfile --tag egret:0.1.0 .
#
# Node 22 on Debian 12 (bookworm). The code is held to what Node 20 offers (the tests run on 20) and the
# control plane already runs it on Node 22 in Azure Functions; Node 20 is past its end of life
# (April 2026), 22 is an LTS line with security fixes. The runtime is debian:bookworm-slim with the node
# binary of the build image (an official build, linked against glibc, libstdc++ and libgcc_s, which
# bookworm-slim has because apt needs them); npm, yarn and the compilers stay in the build stages.
# Base images are pinned by tag; pin digests as your registry's policy asks, through the build args:
#   --build-arg NODE_IMAGE=node:22-bookworm-slim@sha256:<digest> --build-arg DEBIAN_IMAGE=debian:bookworm-slim@sha256:<digest>
# Both must be the same Debian release (the node binary is copied from one into the other).
ARG NODE_IMAGE=node:22-bookworm-slim
ARG DEBIAN_IMAGE=debian:bookworm-slim

# Bundle: `npm run package:images` (scripts/packageImages.ts) writes each image's /app under
# dist/images/<image>: esbuild bundles of the agents with their dependencies (@kubernetes/client-node,
# prom-client) inside, and a package.json saying "type": "module". npm ci needs every workspace's
# manifest; only agents/ and shared/core/ are bundled (the script refuses anything else).
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
COPY shared/core/package.json ./shared/core/
COPY agents/package.json ./agents/
COPY infra/local/package.json ./infra/local/
COPY infra/azure/package.json ./infra/azure/
COPY infra/k8s/package.json ./infra/k8s/
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY scripts/packageImages.ts ./scripts/
COPY shared/core ./shared/core
COPY shared/adapters/system/systemClock.ts ./shared/adapters/system/
COPY agents ./agents
RUN npm run package:images

FROM ${DEBIAN_IMAGE}
COPY --from=build /usr/local/bin/node /usr/local/bin/node
# `node --version` fails the build here if the binary does not run on this base. The user matches the
# Deployment's runAsUser/runAsGroup; it owns nothing (the app is root's, read-only to it).
RUN node --version \
 && groupadd --system --gid 65532 nonroot \
 && useradd --system --uid 65532 --gid 65532 --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin nonroot
WORKDIR /app
# The bundles and their package.json ("type": "module", no dependencies): no node_modules, no Azure SDK.
COPY --from=build /app/dist/images/relay/ ./
USER 65532:65532
# /metrics, /healthz, /readyz (METRICS_PORT).
EXPOSE 8080
CMD ["node", "/app/dist/agents/relay/main.js"]
