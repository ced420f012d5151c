# reelbot: multi-stage build on Node 24 slim; runs as a non-root user with the data on a volume.
FROM node:24-slim AS deps
WORKDIR /app
# better-sqlite3 compiles against Node's headers when no prebuilt binary fits.
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund

FROM node:24-slim
ENV NODE_ENV=production DATABASE_PATH=/data/reelbot.db MEDIA_DIR=/data/media
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json ./
COPY assets ./assets
COPY commands ./commands
COPY src ./src
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
# Only used when HTTP_PORT is set (health, metrics, video links).
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=3s CMD node -e "fetch('http://127.0.0.1:'+(process.env.HTTP_PORT||8080)+'/livez').then(r=>process.exit(r.ok?0:1),()=>process.exit(process.env.HTTP_PORT?1:0))"
STOPSIGNAL SIGTERM
CMD ["node", "--optimize-for-size", "--disable-warning=ExperimentalWarning", "--experimental-strip-types", "src/main.ts"]
