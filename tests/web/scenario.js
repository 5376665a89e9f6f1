// The console's main scenario in headless Chromium (playwright-core, Debian's chromium).
// Run by tests/web/test_browser.py, which prepares the demo county and passes, as JSON in
// SJT_SCENARIO: the api's URL, the chromium path, the screenshot folder, the organizer's
// console login, and two teachers (names and API tokens) who check in through the API.
// Prints one JSON line of what it saw; the Python test asserts on it.
"use strict";
const fs = require("fs");
const path = require("path");
const { chromium } = require("playwright-core");

const cfg = JSON.parse(process.env.SJT_SCENARIO);
const out = { shots: [] };

async function api(method, url, token, body) {
  const resp = await fetch(cfg.base + url, {
    method,
    headers: { Authorization: "Bearer " + token, "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await resp.text();
  if (!resp.ok) throw new Error(`${method} ${url}: ${resp.status} ${text}`);
  return JSON.parse(text);
}

async function shot(page, name) {
  const file = path.join(cfg.shots, name + ".png");
  await page.screenshot({ path: file, fullPage: true });
  out.shots.push(file);
}

async function download(page, selector, name) {
  const [file] = await Promise.all([page.waitForEvent("download"), page.click(selector)]);
  const target = path.join(cfg.shots, name);
  await file.saveAs(target);
  return target;
}

(async () => {
  const browser = await chromium.launch({
    executablePath: cfg.chromium,
    args: ["--no-sandbox", "--disable-dev-shm-usage"],
    timeout: 60000,
  });
  try {
    const context = await browser.newContext({
      acceptDownloads: true,
      viewport: { width: 1280, height: 860 },
      locale: "zh-CN",
    });
    const page = await context.newPage();
    page.setDefaultTimeout(20000);
    page.on("dialog", (d) => d.accept());
    const errors = [];
    page.on("pageerror", (e) => errors.push(String(e)));

    // Log in with the password form (the scan panel shows its code meanwhile).
    await page.goto(cfg.base + "/console/login");
    await page.waitForSelector("#scan-qr:not([hidden])");
    await shot(page, "01-login");
    await page.fill('input[name="login"]', cfg.login);
    await page.fill('input[name="password"]', cfg.password);
    await Promise.all([page.waitForURL("**/console/dashboard"), page.click('form.stack button[type="submit"]')]);
    out.nav = await page.$$eval("nav.nav a", (links) => links.map((a) => a.textContent.trim()));
    await shot(page, "02-dashboard");

    // Create an activity and publish it.
    await page.click('nav.nav a[href="/console/activities"]');
    await page.click("#new-activity");
    await page.fill('input[name="title"]', cfg.title);
    await page.selectOption('select[name="kind"]', "送教下乡");
    await page.fill('input[name="starts_at"]', cfg.starts_at);
    await page.fill('input[name="ends_at"]', cfg.ends_at);
    await page.fill('input[name="address"]', "湘江县实验幼儿园多功能厅");
    await page.selectOption('select[name="audience_mode"]', "kindergartens");
    await page.fill('input[name="attendee_hours"]', "2");
    await shot(page, "03-activity-form");
    // A form's message comes in a cookie, never in the URL (it may carry an invitation code).
    await Promise.all([page.waitForURL(/\/console\/activities\/\d+$/), page.click('#activity-form button[type="submit"]')]);
    out.activity_id = Number(page.url().match(/activities\/(\d+)/)[1]);
    out.flashes = [{ url: page.url(), text: (await page.textContent(".flash")).trim() }];
    await Promise.all([page.waitForEvent("load"), page.click("#publish")]);
    out.flashes.push({ url: page.url(), text: (await page.textContent(".flash")).trim() });
    out.status_after_publish = (await page.textContent("#activity-status")).trim();
    await shot(page, "04-activity");

    // The poster.
    const posterFile = await download(page, "#poster", "poster.png");
    out.poster_magic = fs.readFileSync(posterFile).subarray(0, 8).toString("hex");

    // The live board: two teachers check in through the API, the board counts them.
    await page.click("#live");
    await page.waitForSelector("text=实时更新中");
    out.live_before = (await page.textContent('[data-count="checked_in"]')).trim();
    const code = await api("GET", `/api/v1/activities/${out.activity_id}/code`, cfg.organizer_token);
    out.live_seen = [];
    for (const [i, teacher] of cfg.teachers.entries()) {
      const answer = await api("POST", "/api/v1/checkins", teacher.token, {
        scene: code.scene,
        nonce: `browser-test-${i}-${Date.now()}`,
      });
      out.live_seen.push(answer.status);
      await page.waitForFunction(
        (n) => document.querySelector('[data-count="checked_in"]').textContent.trim() === String(n),
        i + 1,
      );
      await page.waitForFunction((name) => document.getElementById("live-list").textContent.includes(name), teacher.name);
    }
    out.live_after = (await page.textContent('[data-count="checked_in"]')).trim();
    out.live_list = (await page.textContent("#live-list")).trim();
    await shot(page, "05-live-board");

    // Back on the activity: the check-ins are listed; export the sign-in sheet.
    await page.goto(`${cfg.base}/console/activities/${out.activity_id}`);
    out.checkins_table = (await page.textContent("#checkins")).trim();
    out.sheet = await download(page, "#signin-sheet", "signin-sheet.xlsx");
    await page.goto(`${cfg.base}/console/activities/${out.activity_id}/archive`);
    await shot(page, "06-archive");
    await page.goto(`${cfg.base}/console/activities`);
    await shot(page, "07-activities");

    // A notice to the two teachers; one reads it; the receipts show it.
    await page.click('nav.nav a[href="/console/notices"]');
    await page.click("#new-notice");
    await page.fill('input[name="title"]', "联合教研通知");
    await page.fill('textarea[name="body"]', "本周五下午在实验幼儿园开展联合教研，请准时参加。");
    for (const teacher of cfg.teachers) {
      await page.check(`#teacher-choices label:has-text("${teacher.name}") input`);
    }
    await shot(page, "08-notice-compose");
    await Promise.all([page.waitForURL(/\/console\/notices\/\d+$/), page.click('#notice-form button[type="submit"]')]);
    out.flashes.push({ url: page.url(), text: (await page.textContent(".flash")).trim() });
    out.notice_id = Number(page.url().match(/notices\/(\d+)/)[1]);
    out.notice_status = (await page.textContent("#notice-status")).trim();
    out.read_before = (await page.textContent("#read-count")).trim();
    await api("POST", `/api/v1/notices/${out.notice_id}/read`, cfg.teachers[0].token);
    await page.reload();
    out.read_after = (await page.textContent("#read-count")).trim();
    out.people = (await page.textContent("#people")).trim();
    await shot(page, "09-notice-receipts");
    await page.goto(cfg.base + "/console/notices");
    await shot(page, "10-notices");

    // A tablet-sized window: the menu folds behind its button.
    await page.setViewportSize({ width: 768, height: 1024 });
    await page.goto(cfg.base + "/console/dashboard");
    out.tablet_nav_hidden = !(await page.isVisible("nav.nav"));
    await shot(page, "11-dashboard-tablet");

    // Log out.
    await Promise.all([page.waitForURL("**/console/login"), page.click("text=退出登录")]);
    await page.goto(cfg.base + "/console/dashboard");
    out.after_logout = new URL(page.url()).pathname;

    // Scan login: the organizer confirms the page's code on her phone (the API call the
    // mini-program makes); the page notices by polling and opens the dashboard.
    await page.setViewportSize({ width: 1280, height: 860 });
    await page.waitForSelector("#scan-qr:not([hidden])");
    out.refresh_hidden = !(await page.isVisible("#scan-refresh"));
    const token = await page.getAttribute("#scan-qr", "data-token");
    await api("POST", `/api/v1/web-login/${token}/confirm`, cfg.organizer_token);
    await page.waitForURL("**/console/dashboard");
    out.scan_login_name = (await page.textContent(".me")).trim();

    // A leader's reports: every level against its targets, coloured by status.
    await Promise.all([page.waitForURL("**/console/login"), page.click("text=退出登录")]);
    await page.fill('input[name="login"]', cfg.leader_login);
    await page.fill('input[name="password"]', cfg.password);
    await Promise.all([page.waitForURL("**/console/dashboard"), page.click('form.stack button[type="submit"]')]);
    await page.click('nav.nav a[href="/console/reports"]');
    out.report_tables = await page.$$eval("table.report", (tables) => tables.map((t) => t.closest("section").id));
    await shot(page, "12-reports");
    await page.click('nav.nav a[href="/console/posts"]');
    out.posts_heading = (await page.textContent("h1")).trim();
    await shot(page, "13-posts");
    await page.click('nav.nav a[href="/console/orgs"]');
    await shot(page, "14-orgs");
    out.page_errors = errors;
  } finally {
    await browser.close();
  }
  process.stdout.write(JSON.stringify(out) + "\n");
})().catch((err) => {
  process.stderr.write((err && err.stack) || String(err));
  process.stdout.write(JSON.stringify(out) + "\n");
  process.exit(1);
});
