import {
  defaultResourcePrefix,
  exposeResourceUri,
  RESOURCE_PREFIX_RE,
  resourcePrefixOf,
  splitExposedResourceUri,
} from "./resource-uris";

describe("defaultResourcePrefix", () => {
  it.each([
    ["weather_", "weather"],
    ["my_srv_", "my-srv"],
    ["Gh.", "gh"],
    ["fs-", "fs"],
    ["wx__", "wx"],
    ["", ""],
    ["1x_", "1x"],
  ])("turns the tool prefix %j into %j", (toolPrefix, expected) => {
    expect(defaultResourcePrefix(toolPrefix)).toBe(expected);
  });

  it("yields a valid scheme prefix for every default tool prefix of a server name starting with a letter", () => {
    for (const name of ["weather", "a", "my_server-2", "x_y_z", "b-"]) {
      expect(RESOURCE_PREFIX_RE.test(defaultResourcePrefix(`${name}_`))).toBe(true);
    }
  });

  it("prefers a configured resource prefix, even an empty one", () => {
    expect(resourcePrefixOf({ prefix: "weather_", resourcePrefix: "wx" })).toBe("wx");
    expect(resourcePrefixOf({ prefix: "weather_", resourcePrefix: "" })).toBe("");
    expect(resourcePrefixOf({ prefix: "weather_" })).toBe("weather");
  });
});

describe("exposeResourceUri / splitExposedResourceUri", () => {
  it.each([
    ["weather", "weather://cities", "weather+weather://cities"],
    ["files", "file:///etc/motd", "files+file:///etc/motd"],
    ["a", "git+ssh://host/repo", "a+git+ssh://host/repo"],
    ["docs", "urn:isbn:0451450523", "docs+urn:isbn:0451450523"],
    ["t", "test://template/{id}/data", "t+test://template/{id}/data"],
  ])("puts %j with a + before the scheme of %j", (prefix, uri, exposed) => {
    expect(exposeResourceUri(prefix, uri)).toBe(exposed);
    expect(splitExposedResourceUri(exposed)).toEqual({ prefix, uri });
  });

  it("keeps a URI unchanged under an empty prefix", () => {
    expect(exposeResourceUri("", "weather://cities")).toBe("weather://cities");
  });

  it("reads the prefix case-insensitively, as URI schemes are", () => {
    expect(splitExposedResourceUri("WeAtHeR+weather://cities")).toEqual({ prefix: "weather", uri: "weather://cities" });
  });

  it.each(["weather://cities", "weather_weather://cities", "+weather://x", "1a+b://x", "a/b+c://x", "a:b+c://x"])(
    "finds no prefix in %j",
    (exposed) => {
      expect(splitExposedResourceUri(exposed)).toBeUndefined();
    },
  );
});
