# The agents image, egret-agents:0.1.0: the gateway daemon (infra/k8s/gateway-daemon/daemonset.yaml,
# `node dist/agents/gateway-daemon/main.js`, its init container with `ensure-netns`) and the node agent
# (infra/k8s/node-agent/daemonset.yaml, `node dist/agents/node-agent/main.js`), whose init container
# copies this image's node binary (`command -v node`) and dist/agents/node-agent/cni/{egretCni,cniProtocol}.js
# onto the host. The commands are relative: they run in WORKDIR /app. The agents run as root (the
# manifests add NET_ADMIN and SYS_ADMIN) and call ip (iproute2), nft (nftables), wg (wireguard-tools)
# and wireguard-go, plus sh and cat.
#
# Build from the repository root; the context is the clone, trimmed by /.dockerignore:
#   az acr build --registry <acr> --image egret-agents:0.1.0 --file infra/images/agents.Dockerfile .
#   docker buildx build --file infra/images/agents.Dockerfile --tag egret-agents:0.1.0 .
#
# Node 22 on Debian 12 (bookworm), as infra/images/relay.Dockerfile explains. Debian 12 also because the
# data path is written and tested against its tools: nft 1.0.6 (no `destroy`), wireguard-go
# 0.0.20220316 (replies from the host's address, hence egret's reply table). The node binary goes onto
# AKS hosts too: it needs glibc 2.28 or newer and libstdc++ there (AKS Ubuntu and Azure Linux have both).
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
# The data-path tools (scripts/bootstrap.sh installs the same packages for the tests). iptables is not
# among them: the agents program nftables only.
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      iproute2 nftables wireguard-tools wireguard-go \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /usr/local/bin/node /usr/local/bin/node
# Fails the build if a tool the agents call is missing or does not run.
RUN node --version && ip -V && nft --version && wg --version && wireguard-go --version
WORKDIR /app
# The bundles and their package.json ("type": "module", no dependencies): no node_modules, no Azure SDK.
COPY --from=build /app/dist/images/agents/ ./
# METRICS_PORT (/metrics, /healthz, /readyz) and the gateway's LB_PROBE_PORT.
EXPOSE 8080 8082
# No CMD of its own: each manifest names the agent its container runs.
