# One image for every Vigil function on Knative: FUNCTION_TARGET selects the function,
# `node dist/cli/serve.js` serves it on $PORT. The same image runs `node dist/cli/main.js migrate`.
# There is no Docker engine in CI: rehearsal/image/ lays out this file's runtime stage in a scratch
# folder (npm ci --omit=dev, dist/, the assets below, this ENV) and starts every target from it.

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
# Assets the compiled code finds beside package.json (config/project-root.ts), as in a checkout:
# the dashboard's scripts and styles, the committed capacity plan, the Broker and Trigger YAML that
# `vigil up` routes by, and the trained seizure model with its sidecar (features, threshold, version).
COPY dashboard/static ./dashboard/static
COPY capacity/plan.json ./capacity/
COPY eventing/broker.yaml eventing/triggers.yaml ./eventing/
COPY models/seizure/model.onnx models/seizure/model.json ./models/seizure/
# uid 1000 is the image's `node` user; numeric so Kubernetes can verify runAsNonRoot.
# The collector on the thread that allocates, not on 4 V8 helper threads a small CPU quota would
# throttle: the rehearsed cluster stored 2-6 % more EEG chunks/s and 2-17 % more heart-rate samples/s
# with it (perf/RESULTS.md, `npm run bench -- rehearsal`, alternating runs). Not allowed in NODE_OPTIONS.
USER 1000:1000
EXPOSE 8080
CMD ["node", "--single-threaded-gc", "dist/cli/serve.js"]
