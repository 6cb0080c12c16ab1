FROM node:20-bookworm-slim
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund
COPY src ./src
COPY migrations ./migrations
COPY bin ./bin
# Served at /v1/release-notes and /v1/versioning-policy.
COPY CHANGELOG.md ./
COPY docs ./docs
ENV HOST=0.0.0.0 PORT=3000
EXPOSE 3000
USER node
# `npm start` migrates on boot; to migrate as a separate step: docker run <image> node bin/vawg.js migrate
CMD ["npm", "start"]
