// Opens play.html in headless Chromium (Debian's /usr/bin/chromium, driven by playwright-core)
// and reports video.currentTime once a second as JSON lines on stdout until it has advanced
// `seconds` past the first frame played, hls.js reports a fatal error, or `timeout` runs out.
// Takes a screenshot at the end. Exit 0 only when playback advanced enough with no fatal error.
//   node play.js <page-url> <screenshot.png> <profile-dir> [seconds=6] [timeout-s=40] [chromium=/usr/bin/chromium]
// <profile-dir> is a fresh empty directory for Chromium's --user-data-dir; the caller removes it.
'use strict';
const {chromium} = require('playwright-core');

const [pageUrl, shot, profile, seconds = '6', timeoutS = '40', exe = '/usr/bin/chromium'] = process.argv.slice(2);
const out = (o) => process.stdout.write(JSON.stringify(o) + '\n');

async function main() {
  const deadline = Date.now() + Number(timeoutS) * 1000;
  // launchPersistentContext is how Playwright takes a fresh --user-data-dir.
  const ctx = await chromium.launchPersistentContext(profile, {
    executablePath: exe,
    headless: true,
    timeout: 20000,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
           '--disable-background-networking', '--disable-component-update', '--disable-sync',
           '--autoplay-policy=no-user-gesture-required'],
    viewport: {width: 640, height: 360},
  });
  let ok = false;
  try {
    const page = ctx.pages()[0] || await ctx.newPage();
    page.on('console', (m) => { if (m.type() === 'error') out({console: m.text().slice(0, 300)}); });
    page.on('pageerror', (e) => out({pageerror: String(e).slice(0, 300)}));
    await page.goto(pageUrl, {timeout: 10000});
    let first = null;
    let last = null;
    while (Date.now() < deadline) {
      const s = await page.evaluate(() => {
        const v = document.getElementById('video');
        const b = v.buffered;
        return {currentTime: v.currentTime, paused: v.paused, readyState: v.readyState,
                buffered: b.length ? [b.start(0), b.end(b.length - 1)] : [],
                supported: window.hlsTest.supported, fatal: window.hlsTest.fatal,
                errors: window.hlsTest.errors.length, frags: window.hlsTest.fragsLoaded};
      });
      if (first === null && s.currentTime > 0 && !s.paused) first = s.currentTime;
      last = s;
      s.advanced = first === null ? 0 : s.currentTime - first;
      out(s);
      if (!s.supported || s.fatal) break;
      if (s.advanced >= Number(seconds)) { ok = true; break; }
      await page.waitForTimeout(1000);
    }
    await page.screenshot({path: shot});
    const errors = await page.evaluate(() => window.hlsTest.errors);
    out({result: ok ? 'ok' : 'fail', advanced: last ? last.advanced : 0, fatal: last && last.fatal,
         errors, screenshot: shot});
  } finally {
    await ctx.close();
  }
  return ok;
}

main().then((ok) => process.exit(ok ? 0 : 1), (e) => { out({result: 'error', error: String(e)}); process.exit(2); });
