import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { launchChromium } from "./browser";

// Chromium installed with --no-install-recommends may come without a font: pages then render no text, and the
// screenshots the console tests take for the README are blank. .ci/run installs fonts-dejavu-core.
describe("fonts for the browser tests", () => {
  it("has a sans-serif font fontconfig resolves to a file", () => {
    const file = execFileSync("fc-match", ["--format=%{file}", "sans-serif"], { encoding: "utf8" });
    expect(existsSync(file)).toBe(true);
  });

  it("renders text with width in headless Chromium", async () => {
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      await page.setContent("<p id=t style='font-family: sans-serif; display: inline'>Sign in</p>");
      const box = await page.locator("#t").boundingBox();
      expect(box?.width ?? 0).toBeGreaterThan(20);
    } finally {
      await browser.close();
    }
  });
});
