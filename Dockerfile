# One image for every Vigil function on Knative: FUNCTION_TARGET selects the function,
# `node dist/cli/serve.js` serves it on $PORT. The same image runs `node dist/cli/main.js migrate`.
# Checked offline by knative/dockerfile.test.ts (no Docker engine in CI's test job).

# npm 11 honours package.json "allowScripts" (onnxruntime-node's install script downloads CUDA and
# fails offline); node:20's bundled npm 10 ignores it, so both stages upgrade npm first.
ARG NODE_IMAGE=node:20-bookworm-slim
ARG NPM_VERSION=11.19.1

FROM ${NODE_IMAGE} AS build
ARG NPM_VERSION
# better-sqlite3 compiles from source when no prebuilt binary matches.
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ \
  && rm -rf /var/lib/apt/lists/* && npm install -g npm@${NPM_VERSION}
# Belt and braces for the CUDA download: the install script also honours this switch.
ENV ONNXRUNTIME_NODE_INSTALL=skip
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci
COPY . .
RUN npm run build

FROM ${NODE_IMAGE} AS deps
ARG NPM_VERSION
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ \
  && rm -rf /var/lib/apt/lists/* && npm install -g npm@${NPM_VERSION}
ENV ONNXRUNTIME_NODE_INSTALL=skip
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev && npm cache clean --force

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    PORT=8080 \
    VIGIL_SEIZURE_MODEL_DIR=/app/models/seizure
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json ./
COPY --from=build /app/dist ./dist
# Assets the compiled code reads next to itself.
COPY dashboard/static ./dist/dashboard/static
# The trained seizure model and its sidecar (features, thresholds, version).
COPY models/seizure/model.onnx models/seizure/model.json ./models/seizure/
# uid 1000 is the image's `node` user; numeric so Kubernetes can verify runAsNonRoot.
USER 1000:1000
EXPOSE 8080
CMD ["node", "dist/cli/serve.js"]
