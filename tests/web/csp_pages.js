// Opens console pages and the projector page in headless Chromium and reports every
// Content-Security-Policy violation, console error and page error it sees.
// Run by tests/web/test_csp_browser.py; SJT_CSP (JSON) gives the base URL, chromium, the
// logins with the pages each opens, and the projector link. Prints one JSON line.
"use strict";
const { chromium } = require("playwright-core");

const cfg = JSON.parse(process.env.SJT_CSP);
const out = { visited: [], violations: [], errors: [], failed: [], projector: {} };

// Runs in every document before its own scripts: the browser's report of each violation.
function recordViolations() {
  window.__csp = [];
  document.addEventListener("securitypolicyviolation", (e) => {
    window.__csp.push(`${e.violatedDirective} blocked ${e.blockedURI || "inline"} (${e.sourceFile}:${e.lineNumber})`);
  });
}

async function watched(context) {
  const page = await context.newPage();
  page.setDefaultTimeout(20000);
  page.on("dialog", (d) => d.dismiss());
  page.on("pageerror", (e) => out.errors.push(`${page.url()}: ${e}`));
  page.on("response", (r) => {
    if (r.status() >= 400) out.failed.push(`${r.status()} ${new URL(r.url()).pathname}`);
  });
  page.on("console", (msg) => {
    // The browser's own favicon probe (no page asks for one) is not the pages' doing.
    if (msg.type() !== "error" || msg.location().url.endsWith("/favicon.ico")) return;
    out.errors.push(`${page.url()}: ${msg.text()} [${msg.location().url}]`);
  });
  return page;
}

async function violationsOf(page) {
  const found = [];
  for (const frame of page.frames()) {
    try {
      found.push(...(await frame.evaluate(() => window.__csp || [])));
    } catch (e) {
      found.push(`cannot read ${frame.url()}: ${e}`);
    }
  }
  return found;
}

async function open(page, url) {
  const resp = await page.goto(cfg.base + url, { waitUntil: "load" });
  await page.waitForTimeout(300); // deferred scripts, their first fetches
  const status = resp ? resp.status() : 0;
  out.visited.push({ url, status });
  for (const v of await violationsOf(page)) out.violations.push(`${url}: ${v}`);
}

(async () => {
  const browser = await chromium.launch({
    executablePath: cfg.chromium,
    args: ["--no-sandbox", "--disable-dev-shm-usage"],
    timeout: 60000,
  });
  try {
    for (const who of cfg.logins) {
      const context = await browser.newContext({ locale: "zh-CN", viewport: { width: 1280, height: 860 } });
      await context.addInitScript(recordViolations);
      const page = await watched(context);
      await open(page, "/console/login");
      await page.fill('input[name="login"]', who.login);
      await page.fill('input[name="password"]', cfg.password);
      await Promise.all([
        page.waitForURL((u) => !u.pathname.endsWith("/console/login")),
        page.click('form.stack button[type="submit"]'),
      ]);
      for (const url of who.pages) await open(page, url);
      await context.close();
    }

    // The projector: its own script must run (code shown, clock ticking) under its policy.
    const context = await browser.newContext({ viewport: { width: 1600, height: 900 } });
    await context.addInitScript(recordViolations);
    const page = await watched(context);
    await open(page, cfg.projector);
    await page.waitForSelector("#code:not([hidden])");
    out.projector = {
      code_src: await page.getAttribute("#code", "src"),
      clock: await page.textContent("#clock"),
      header_background: await page.evaluate(() => getComputedStyle(document.querySelector("header")).backgroundColor),
    };
    for (const v of await violationsOf(page)) out.violations.push(`projector: ${v}`);
    await context.close();
  } finally {
    await browser.close();
    console.log(JSON.stringify(out));
  }
})().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
