// The festival console in Debian's headless Chromium, driven by playwright-core (no browser
// download: `executablePath`). Run by tests/tests/festival.rs with a live `festival serve` and
// two real-time seats:
//
//   node console.js URL TOKEN
//
// It opens the console, waits for both seats, starts and resets seat-1 with the page's
// buttons, then prints `KILL seat-2` and waits for a line on stdin (the test kills that seat)
// before waiting for the seat's alarm. Each step prints `ok: ...`; a failure exits 1 saying
// which step and what the page showed.
"use strict";
const { chromium } = require("playwright-core");
const readline = require("readline");

const [url, token] = process.argv.slice(2);
const executablePath = process.env.CHROMIUM || "/usr/bin/chromium";

function line() {
  return new Promise((resolve) => {
    const rl = readline.createInterface({ input: process.stdin });
    rl.once("line", (l) => { rl.close(); process.stdin.destroy(); resolve(l); });
  });
}

(async () => {
  const browser = await chromium.launch({ executablePath, args: ["--no-sandbox"] });
  const page = await browser.newPage();
  let step = "open";
  try {
    // Without the token: the page asks for it, and the API refuses.
    await page.goto(url + "/");
    await page.waitForSelector("#token", { state: "visible", timeout: 10000 });
    const refused = await page.evaluate(async () => (await fetch("/api/room")).status);
    if (refused !== 401) throw new Error(`/api/room without the token answered ${refused}`);
    console.log("ok: without the token the page asks for it and the API answers 401");

    step = "seats appear";
    await page.goto(`${url}/?token=${encodeURIComponent(token)}`);
    const state = (seat) => `tr[data-seat="${seat}"] td.state`;
    for (const seat of ["seat-1", "seat-2"]) {
      await page.waitForFunction(
        (sel) => document.querySelector(sel)?.textContent === "waiting",
        state(seat), { timeout: 30000 });
    }
    await page.waitForSelector("#live.on", { timeout: 10000 });
    console.log("ok: both seats appear, waiting, and the page is live");

    step = "start seat-1";
    await page.click('button[data-seat="seat-1"][data-do="start"]');
    await page.waitForFunction(
      (sel) => document.querySelector(sel)?.textContent === "playing", state("seat-1"), { timeout: 20000 });
    console.log("ok: Start plays seat-1");

    step = "reset seat-1";
    await page.click('button[data-seat="seat-1"][data-do="reset"]');
    await page.waitForFunction(
      (sel) => document.querySelector(sel)?.textContent === "waiting", state("seat-1"), { timeout: 20000 });
    await page.waitForFunction(
      () => document.querySelector('tr[data-seat="seat-1"] .dim')?.textContent.startsWith("1 screening"),
      null, { timeout: 10000 });
    console.log("ok: Reset ends seat-1's screening and it waits again");

    step = "alarm for a killed seat";
    console.log("KILL seat-2");
    await line();
    await page.waitForSelector('tr[data-seat="seat-2"] .alarm[data-alarm="silent"]', { timeout: 15000 });
    await page.waitForSelector('tr[data-seat="seat-2"].alarmed', { timeout: 1000 });
    console.log("ok: the killed seat is alarmed as silent");
  } catch (e) {
    const rows = await page.evaluate(() => document.querySelector("#seats")?.innerText).catch(() => "");
    console.error(`console test failed at "${step}": ${e.message}\nthe page showed:\n${rows}`);
    await browser.close();
    process.exit(1);
  }
  await browser.close();
  process.exit(0);
})();
