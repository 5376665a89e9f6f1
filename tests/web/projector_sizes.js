// Opens the projector page in headless Chromium at each screen size and measures what a
// room sees: is the loading text gone once the code shows, are the scan hint and the 全屏
// button inside the screen. Saves a screenshot per size.
// Run by tests/web/test_projector_layout.py; SJT_PROJECTOR (JSON) gives the chromium, the
// projector URL, the sizes and the screenshot folder. Prints one JSON line.
"use strict";
const path = require("path");
const { chromium } = require("playwright-core");

const cfg = JSON.parse(process.env.SJT_PROJECTOR);
const out = { sizes: [], errors: [] };

function box(selector) {
  const el = document.querySelector(selector);
  if (!el) return null;
  const r = el.getBoundingClientRect();
  return { top: r.top, left: r.left, bottom: r.bottom, right: r.right, width: r.width, height: r.height };
}

(async () => {
  const browser = await chromium.launch({
    executablePath: cfg.chromium,
    args: ["--no-sandbox", "--disable-dev-shm-usage"],
    timeout: 60000,
  });
  try {
    for (const [width, height] of cfg.sizes) {
      const context = await browser.newContext({ locale: "zh-CN", viewport: { width, height } });
      const page = await context.newPage();
      page.setDefaultTimeout(20000);
      page.on("pageerror", (e) => out.errors.push(`${width}x${height}: ${e}`));
      await page.goto(cfg.url, { waitUntil: "load" });
      await page.waitForSelector("#code:not([hidden])");
      await page.waitForFunction(() => document.querySelector("#code").complete);
      await page.waitForTimeout(300);
      const measured = await page.evaluate((boxSource) => {
        const box = new Function(`return (${boxSource})`)();
        const placeholder = document.getElementById("code-placeholder");
        return {
          viewport: { width: window.innerWidth, height: window.innerHeight },
          scroll: { width: document.documentElement.scrollWidth, height: document.documentElement.scrollHeight },
          placeholder_display: getComputedStyle(placeholder).display,
          placeholder_box: box("#code-placeholder"),
          code: box("#code"),
          hint: box(".hint"),
          fullscreen: box("#fullscreen"),
          counts: box(".counts"),
        };
      }, box.toString());
      const shot = path.join(cfg.shots, `projector-${width}x${height}.png`);
      await page.screenshot({ path: shot });
      out.sizes.push({ size: [width, height], shot, ...measured });
      await context.close();
    }
  } finally {
    await browser.close();
    console.log(JSON.stringify(out));
  }
})().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
