# The gateway image: mcp-gateway (router, broker, standalone) and the example MCP servers.
# Multi-stage: the build stage compiles TypeScript and assembles the Envoy protos; the runtime stage has production
# dependencies only and runs as the unprivileged `node` user.

FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
COPY scripts ./scripts
COPY core/package.json core/
COPY router/package.json router/
COPY broker/package.json broker/
COPY controller/package.json controller/
COPY cli/package.json cli/
COPY console/package.json console/
COPY examples/example-kit/package.json examples/example-kit/
COPY examples/weather-server/package.json examples/weather-server/
COPY examples/notes-server/package.json examples/notes-server/
COPY examples/calendar-server/package.json examples/calendar-server/
COPY examples/local-stack/package.json examples/local-stack/
COPY test/package.json test/
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build

FROM node:24-bookworm-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/package.json /app/package-lock.json ./
COPY --from=build /app/core/package.json core/
COPY --from=build /app/router/package.json router/
COPY --from=build /app/broker/package.json broker/
COPY --from=build /app/controller/package.json controller/
COPY --from=build /app/cli/package.json cli/
COPY --from=build /app/console/package.json console/
COPY --from=build /app/examples/example-kit/package.json examples/example-kit/
COPY --from=build /app/examples/weather-server/package.json examples/weather-server/
COPY --from=build /app/examples/notes-server/package.json examples/notes-server/
COPY --from=build /app/examples/calendar-server/package.json examples/calendar-server/
COPY --from=build /app/examples/local-stack/package.json examples/local-stack/
COPY --from=build /app/test/package.json test/
# Production dependencies only; install scripts are not needed (the protos come from the build stage).
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/protos/gen protos/gen
COPY --from=build /app/core/dist core/dist
COPY --from=build /app/router/dist router/dist
COPY --from=build /app/broker/dist broker/dist
COPY --from=build /app/controller/dist controller/dist
COPY --from=build /app/cli/dist cli/dist
# The web console's static files (/ui), bundled by Vite in the build stage.
COPY --from=build /app/console/dist console/dist
COPY --from=build /app/examples/example-kit/dist examples/example-kit/dist
COPY --from=build /app/examples/weather-server/dist examples/weather-server/dist
COPY --from=build /app/examples/notes-server/dist examples/notes-server/dist
COPY --from=build /app/examples/calendar-server/dist examples/calendar-server/dist
COPY --from=build /app/examples/local-stack/dist examples/local-stack/dist
USER node
EXPOSE 8080 8081 9000 9091
ENTRYPOINT ["node", "cli/dist/main.js"]
CMD ["--help"]
