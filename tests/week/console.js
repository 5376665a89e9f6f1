// One person at the web console in headless Chromium (playwright-core, Debian's chromium),
// for the week test (tests/week/people.py). SJT_WEEK holds, as JSON: the api's URL, the
// chromium path, the screenshot folder, the console login and password, and the steps.
// Prints one JSON line of what was read.
"use strict";
const path = require("path");
const { chromium } = require(path.join(__dirname, "..", "web", "node_modules", "playwright-core"));

const cfg = JSON.parse(process.env.SJT_WEEK);

(async () => {
  const browser = await chromium.launch({ executablePath: cfg.chromium, args: ["--no-sandbox"] });
  const page = await browser.newPage({ viewport: { width: 1366, height: 768 } });
  const read = {};
  const errors = [];
  const dialogs = [];
  page.on("pageerror", (err) => errors.push(String(err)));
  // A form that asks first (data-confirm): she reads the question and answers 确定.
  page.on("dialog", async (dialog) => {
    dialogs.push(dialog.message());
    await dialog.accept();
  });
  try {
    await page.goto(cfg.base + "/console/login");
    await page.fill('input[name="login"]', cfg.login);
    await page.fill('input[name="password"]', cfg.password);
    await Promise.all([page.waitForNavigation(), page.click('form button[type="submit"]')]);
    if (page.url().includes("/console/login")) throw new Error("login refused: " + cfg.login);
    for (const step of cfg.steps) {
      if (step.goto !== undefined) await page.goto(cfg.base + step.goto);
      else if (step.fill !== undefined) await page.fill(step.fill, step.value);
      else if (step.select !== undefined) await page.selectOption(step.select, step.value);
      else if (step.check !== undefined) await page.check(step.check);
      else if (step.click !== undefined)
        await Promise.all([page.waitForLoadState("load"), page.click(step.click)]);
      else if (step.submit !== undefined)
        await Promise.all([page.waitForNavigation(), page.click(step.submit)]);
      else if (step.shot !== undefined)
        await page.screenshot({ path: path.join(cfg.shots, step.shot + ".png"), fullPage: true });
      else if (step.text !== undefined) read[step.as] = (await page.textContent(step.text)) || "";
      else if (step.value !== undefined) read[step.as] = await page.inputValue(step.value);
      else if (step.url !== undefined) read[step.url] = page.url();
      else if (step.frame !== undefined) {
        // How wide a framed page is against its frame (the phone preview must fit).
        const frame = await (await page.waitForSelector(step.frame)).contentFrame();
        await frame.waitForLoadState("load");
        read[step.as] = await frame.evaluate(() => ({
          scroll: document.documentElement.scrollWidth,
          client: document.documentElement.clientWidth,
        }));
      }
      else throw new Error("unknown step " + JSON.stringify(step));
    }
  } catch (err) {
    await page.screenshot({ path: path.join(cfg.shots, "failed.png"), fullPage: true });
    console.error(String(err && err.stack ? err.stack : err));
    console.error("page: " + page.url() + "\n" + (await page.textContent("body")).slice(0, 2000));
    await browser.close();
    process.exit(1);
  }
  read.errors = errors;
  read.dialogs = dialogs;
  await browser.close();
  console.log(JSON.stringify(read));
})();
