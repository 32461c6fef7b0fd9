// The console's shared-film panel in Debian's headless Chromium (playwright-core, with
// `executablePath`). Run by tests/tests/festival.rs while `festival serve --shared` plays the
// short fixture film to its seats:
//
//   node shared.js URL TOKEN
//
// It waits for the panel to show the film playing, the room's vote on offer with a bar per
// option, the room's choice among the decisions, and the film's end. Each step prints
// `ok: ...`; a failure exits 1 saying which step and what the panel showed.
"use strict";
const { chromium } = require("playwright-core");

const [url, token] = process.argv.slice(2);
const executablePath = process.env.CHROMIUM || "/usr/bin/chromium";

(async () => {
  const browser = await chromium.launch({ executablePath, args: ["--no-sandbox"] });
  const page = await browser.newPage();
  let step = "the film playing";
  const has = (sel, text) => page.waitForFunction(
    ([sel, text]) => [...document.querySelectorAll(sel)].some((e) => e.textContent.includes(text)),
    [sel, text], { timeout: 40000 });
  try {
    await page.goto(`${url}/?token=${encodeURIComponent(token)}`);
    await has("#shared-state", "playing");
    console.log("ok: the panel shows the shared film playing");
    step = "the vote on offer";
    await has("#shared [data-option]", "Call the boat back");
    console.log("ok: the room's vote is on offer, an option a line");
    step = "the room's choice among the decisions";
    await has("#decisions li", "the room chose");
    console.log("ok: the room's choice is among the decisions");
    step = "the film's end";
    await has("#shared-state", "ended after");
    console.log("ok: the panel shows the film ended");
  } catch (e) {
    const panel = await page.textContent("#shared").catch(() => "(no panel)");
    console.error(`FAILED at ${step}: ${e.message}\nthe panel: ${panel}`);
    await browser.close();
    process.exit(1);
  }
  await browser.close();
})();
