# The dashboard is built with the dev dependencies (Vite, Chart.js), then only its output is kept.
FROM node:20-bookworm-slim AS dashboard
WORKDIR /build
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY dashboard ./dashboard
RUN npm run -s build:dashboard

FROM node:20-bookworm-slim
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund
COPY src ./src
COPY migrations ./migrations
COPY bin ./bin
COPY --from=dashboard /build/dist/dashboard ./dist/dashboard
# Served at /v1/release-notes and /v1/versioning-policy.
COPY CHANGELOG.md ./
COPY docs ./docs
ENV HOST=0.0.0.0 PORT=3000
EXPOSE 3000
USER node
# The server migrates on boot (not `npm start`, whose prestart builds the dashboard with dev tools
# this image does not have); to migrate as a separate step: docker run <image> node bin/vawg.js migrate
CMD ["node", "--import", "tsx", "src/server.ts"]
