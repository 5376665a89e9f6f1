// Shows each rendered mini-program page (HTML from miniprogram/scripts/render-pages.js) in
// headless Chromium at a phone's size, saves a full-page screenshot beside it and measures what a
// person would notice: horizontal overflow (the page scrolls sideways, or an element sticks out
// of the screen), no visible text, an error line, text squeezed to one character per line, text
// too small to read. Run by tests/miniprogram/test_render_pages.py; SJT_SHOOT (JSON) gives the
// chromium, the viewport and the pages. Prints one JSON line.
"use strict";
const path = require("path");
const { chromium } = require(path.join(__dirname, "..", "web", "node_modules", "playwright-core"));

const cfg = JSON.parse(process.env.SJT_SHOOT);

/** Runs in the page: what the checks need, measured from the laid-out document. */
function measure(minFontPx) {
  const width = window.innerWidth;
  const root = document.querySelector("wx-page");
  const visible = (el) => {
    const style = getComputedStyle(el);
    return style.display !== "none" && style.visibility !== "hidden" && el.getClientRects().length > 0;
  };
  const clipped = (el) => {
    // Inside a box that clips or scrolls sideways (a scroll-view, an ellipsis): not out of screen.
    for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
      const o = getComputedStyle(p).overflowX;
      if (o !== "visible") return true;
    }
    return false;
  };
  const label = (el) => {
    const cls = el.getAttribute("class") || "";
    return `${el.tagName.toLowerCase()}${cls ? "." + cls.split(/\s+/).join(".") : ""}`;
  };
  const outside = [];
  for (const el of root.querySelectorAll("*")) {
    if (!visible(el) || clipped(el)) continue;
    const r = el.getBoundingClientRect();
    if (r.width > 0 && (r.right > width + 0.5 || r.left < -0.5)) {
      outside.push({ element: label(el), left: Math.round(r.left), right: Math.round(r.right), text: (el.innerText || "").trim().slice(0, 40) });
    }
  }
  const squeezed = [];
  const tiny = [];
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const text = node.textContent.replace(/\s+/g, "");
    const el = node.parentElement;
    if (!text || !visible(el)) continue;
    const size = parseFloat(getComputedStyle(el).fontSize);
    if (size < minFontPx) tiny.push({ element: label(el), size, text: text.slice(0, 20) });
    if (text.length >= 2) {
      // Squeezed: its box is narrower than two characters and the text takes several lines.
      const range = document.createRange();
      range.selectNodeContents(node);
      const lines = new Set(Array.from(range.getClientRects()).filter((r) => r.width > 0).map((r) => Math.round(r.top)));
      if (lines.size >= 2 && el.getBoundingClientRect().width < 1.9 * size) squeezed.push({ element: label(el), lines: lines.size, text: text.slice(0, 20) });
    }
  }
  // A WeUI class no stylesheet rule names for its scope: WeUI does not reach that node (a
  // component isolated from app styles) or the class does not exist.
  const ruled = new Set();
  for (const sheet of document.styleSheets) {
    const walk = (rules) => {
      for (const rule of rules) {
        if (rule.selectorText) for (const m of rule.selectorText.matchAll(/\.([\w-]+--weui-[\w-]+)/g)) ruled.add(m[1]);
        if (rule.cssRules) walk(rule.cssRules);
      }
    };
    walk(sheet.cssRules);
  }
  const unstyled = new Set();
  for (const el of root.querySelectorAll('[class*="--weui-"]')) {
    for (const cls of el.classList) if (cls.includes("--weui-") && !ruled.has(cls)) unstyled.add(cls);
  }
  // Home's entries in page order, with their size (扫码签到 comes first and largest).
  const entries = Array.from(root.querySelectorAll('[class~="main--entry"]')).map((el) => {
    const r = el.getBoundingClientRect();
    return { text: el.innerText.trim(), area: Math.round(r.width * r.height) };
  });
  const images = Array.from(root.querySelectorAll("wx-image img")).map((img) => ({
    shown: img.getBoundingClientRect().width,
    natural: img.naturalWidth,
  }));
  return {
    viewport: width,
    scrollWidth: document.documentElement.scrollWidth,
    text: (root.innerText || "").replace(/\s+/g, " ").trim(),
    outside: outside.slice(0, 10),
    squeezed: squeezed.slice(0, 10),
    tiny: tiny.slice(0, 10),
    unstyled: Array.from(unstyled),
    entries,
    images,
  };
}

(async () => {
  const out = { pages: [], errors: [] };
  const browser = await chromium.launch({
    executablePath: cfg.chromium,
    args: ["--no-sandbox", "--disable-dev-shm-usage"],
    timeout: 60000,
  });
  try {
    const context = await browser.newContext({
      locale: "zh-CN",
      colorScheme: "light",
      viewport: cfg.viewport,
      deviceScaleFactor: 2,
    });
    for (const item of cfg.pages) {
      const page = await context.newPage();
      page.on("pageerror", (e) => out.errors.push(`${item.name}: ${e}`));
      await page.goto("file://" + item.html, { waitUntil: "load" });
      const shot = item.html.replace(/\.html$/, ".png");
      await page.screenshot({ path: shot, fullPage: true });
      out.pages.push({ name: item.name, shot, ...(await page.evaluate(measure, cfg.minFontPx)) });
      await page.close();
    }
  } finally {
    await browser.close();
    console.log(JSON.stringify(out));
  }
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
