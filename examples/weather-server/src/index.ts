import { createMcpHttpApp, listenMcpHttpApp, type RunningServer, type StartOptions } from "@mcp-gateway/example-kit";
import { SessionRegistry } from "@mcp-gateway/example-kit";
import { createWeatherMcpServer } from "./weather-mcp-server";

export { SESSION_NOT_FOUND, type RunningServer, type StartOptions } from "@mcp-gateway/example-kit";
export { alertsFor, forecastFor, KNOWN_CITIES, type Forecast, type ForecastDay, type WeatherAlert } from "./forecast";
export { createWeatherMcpServer, WEATHER_SERVER_NAME } from "./weather-mcp-server";

/** Port the weather server listens on when none is given. */
export const DEFAULT_WEATHER_PORT = 9101;

/** Starts the weather MCP server (Streamable HTTP, stateful sessions) at `http://<host>:<port>/mcp`. */
export async function startServer(options: StartOptions = {}): Promise<RunningServer> {
  const sessions = new SessionRegistry(createWeatherMcpServer);
  const app = createMcpHttpApp(sessions, options);
  return listenMcpHttpApp(app, sessions, { ...options, port: options.port ?? DEFAULT_WEATHER_PORT });
}
