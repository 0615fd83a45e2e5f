// Fake but deterministic weather: everything derives from a hash of the name, so tests can assert exact values.

/** One day of a forecast. */
export interface ForecastDay {
  /** 1 = tomorrow. */
  day: number;
  condition: string;
  highC: number;
  lowC: number;
  precipitationPercent: number;
}

/** A multi-day forecast for one city. */
export interface Forecast {
  city: string;
  days: ForecastDay[];
}

/** One active weather alert. */
export interface WeatherAlert {
  event: string;
  severity: string;
  headline: string;
}

/** Cities listed by the `weather://cities` resource; any other name gets a forecast too. */
export const KNOWN_CITIES: readonly string[] = ["Amsterdam", "Berlin", "Lisbon", "Nairobi", "Oslo", "Tokyo"];

const CONDITIONS = ["sunny", "partly cloudy", "cloudy", "light rain", "showers", "thunderstorms", "fog", "snow"];
const ALERT_EVENTS = ["Heat advisory", "Flood watch", "High wind warning", "Winter storm watch", "Air quality alert"];
const SEVERITIES = ["minor", "moderate", "severe"];

/** 32-bit FNV-1a of `text`: stable across runs and platforms. */
export function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

/** The forecast for `city` over `days` days; case and surrounding spaces of the name do not matter. */
export function forecastFor(city: string, days: number): Forecast {
  const key = normalize(city);
  const climate = (fnv1a(key) % 30) - 2; // a city's typical high, -2..27 °C
  return { city: city.trim(), days: Array.from({ length: days }, (_, i) => forecastDay(key, climate, i + 1)) };
}

/** The active alerts for `region` (zero to two); case and surrounding spaces of the name do not matter. */
export function alertsFor(region: string): WeatherAlert[] {
  const key = normalize(region);
  const count = fnv1a(key) % 3;
  return Array.from({ length: count }, (_, i) => {
    const hash = fnv1a(`${key}#alert${i}`);
    const event = pick(ALERT_EVENTS, hash);
    return { event, severity: pick(SEVERITIES, hash >>> 8), headline: `${event} in effect for ${region.trim()}` };
  });
}

function forecastDay(key: string, climate: number, day: number): ForecastDay {
  const hash = fnv1a(`${key}#day${day}`);
  const highC = climate + (hash % 7) - 3;
  return {
    day,
    condition: pick(CONDITIONS, hash >>> 4),
    highC,
    lowC: highC - 3 - ((hash >>> 12) % 6),
    precipitationPercent: (hash >>> 16) % 101,
  };
}

function normalize(name: string): string {
  return name.trim().toLowerCase();
}

function pick(items: readonly string[], n: number): string {
  return items[n % items.length] ?? "";
}
