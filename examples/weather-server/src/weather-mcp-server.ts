import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { z } from "zod";
import { alertsFor, forecastFor, KNOWN_CITIES } from "./forecast";
import { jsonResult } from "@mcp-gateway/example-kit";
import type { LiveSessions } from "@mcp-gateway/example-kit";

/** Name reported by `server_info`, in the MCP `serverInfo` and in the ready line. */
export const WEATHER_SERVER_NAME = "weather";

/** Builds the McpServer of one weather session: tools get_forecast, get_alerts, server_info; one prompt; one resource. */
export function createWeatherMcpServer(sessions: LiveSessions): McpServer {
  const server = new McpServer({ name: WEATHER_SERVER_NAME, version: "0.1.0" });
  registerTools(server, sessions);
  registerPromptAndResource(server);
  return server;
}

function registerTools(server: McpServer, sessions: LiveSessions): void {
  server.registerTool(
    "get_forecast",
    {
      description: "Daily forecast for a city (fake, deterministic).",
      inputSchema: { city: z.string().min(1), days: z.number().int().min(1).max(7).optional() },
    },
    ({ city, days }) => jsonResult(forecastFor(city, days ?? 3)),
  );
  server.registerTool(
    "get_alerts",
    {
      description: "Active weather alerts for a region (fake, deterministic).",
      inputSchema: { region: z.string().min(1) },
    },
    ({ region }) => jsonResult({ region, alerts: alertsFor(region) }),
  );
  server.registerTool("server_info", { description: "Which server and which session this call reached." }, (extra) =>
    jsonResult({ server: WEATHER_SERVER_NAME, sessionId: extra.sessionId, sessionCount: sessions.count() }),
  );
}

function registerPromptAndResource(server: McpServer): void {
  server.registerPrompt(
    "weather_report",
    { description: "Ask for a short weather report on a city.", argsSchema: { city: z.string().min(1) } },
    ({ city }) => ({
      messages: [
        {
          role: "user",
          content: {
            type: "text",
            text: `Write a short weather report for ${city}. Use get_forecast for the next 3 days and get_alerts.`,
          },
        },
      ],
    }),
  );
  server.registerResource(
    "cities",
    "weather://cities",
    { description: "Example cities to ask about, one per line.", mimeType: "text/plain" },
    (uri) => ({ contents: [{ uri: uri.href, mimeType: "text/plain", text: KNOWN_CITIES.join("\n") }] }),
  );
}
