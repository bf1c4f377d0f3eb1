# Tabby agent image: runs `tabby agent` with host networking and NET_ADMIN, e.g.
#   docker run --net=host --cap-add=NET_ADMIN --cap-add=NET_RAW -e ETCD_ENDPOINTS=... tabby
FROM node:20-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json tsconfig.json ./
RUN npm ci --no-audit --no-fund
COPY src ./src
COPY compiler ./compiler
COPY dataplane ./dataplane
COPY test ./test
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends iptables ipset iproute2 conntrack \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /opt/tabby
COPY --from=build /src/package.json ./
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/dist ./dist
COPY bin ./bin
RUN ln -s /opt/tabby/bin/tabby.js /usr/local/bin/tabby \
 && ln -s /opt/tabby/bin/calicoctl.js /usr/local/bin/calicoctl
ENTRYPOINT ["tabby", "agent"]
