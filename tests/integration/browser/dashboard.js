// Opens central's /dashboard in headless Chromium (Debian's chromium via playwright-core) and
// reports what an operator sees, as JSON lines on stdout: the row of `stream` (viewers, bitrate),
// the edge and DNS tables, whether charts and preview libraries loaded, and the preview video's
// currentTime once a second until it advanced `seconds` (when `seconds` > 0). Screenshot at the end.
//   node dashboard.js <page-url> <stream> <screenshot.png> <profile-dir> <seconds> <timeout-s> [chromium]
'use strict';
const {chromium} = require('playwright-core');

const [pageUrl, stream, shot, profile, seconds, timeoutS, exe = '/usr/bin/chromium'] = process.argv.slice(2);
const out = (o) => process.stdout.write(JSON.stringify(o) + '\n');

async function main() {
  const deadline = Date.now() + Number(timeoutS) * 1000;
  const ctx = await chromium.launchPersistentContext(profile, {
    executablePath: exe, headless: true, timeout: 20000,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
           '--disable-component-update', '--disable-sync', '--autoplay-policy=no-user-gesture-required'],
    viewport: {width: 1280, height: 900},
  });
  let ok = false;
  try {
    const page = ctx.pages()[0] || await ctx.newPage();
    page.on('pageerror', (e) => out({pageerror: String(e).slice(0, 300)}));
    page.on('console', (m) => { if (m.type() === 'error') out({console: m.text().slice(0, 300)}); });
    const resp = await page.goto(pageUrl, {timeout: 10000});
    out({status: resp.status()});
    let first = null;
    while (Date.now() < deadline) {
      const s = await page.evaluate((name) => {
        const row = document.querySelector(`#streams tr[data-stream="${name}"]`);
        const v = document.getElementById('preview');
        const regions = {};
        for (const r of document.querySelectorAll('#dns tr[data-region]')) regions[r.dataset.region] = Number(r.querySelector('.queries').textContent);
        return {
          row: row ? {viewers: Number(row.querySelector('.viewers').textContent), bps: Number(row.querySelector('.bitrate').dataset.bps),
                      edgeViewers: Number(row.querySelector('.edge-viewers').textContent),
                      centralViewers: Number(row.querySelector('.central-viewers').textContent),
                      text: row.innerText.replace(/\s+/g, ' ')} : null,
          edges: [...document.querySelectorAll('#edges tbody tr')].map((r) => r.innerText.replace(/\s+/g, ' ')),
          regions, viewersKpi: Number(document.getElementById('k-viewers').textContent), charts: window.dashboard.chartsAvailable, hls: window.dashboard.hlsAvailable,
          canvases: document.querySelectorAll('.chart canvas').length,
          currentTime: v.currentTime, paused: v.paused, preview: document.getElementById('preview-status').textContent,
        };
      }, stream);
      if (first === null && s.currentTime > 0) first = s.currentTime;
      s.advanced = first === null ? 0 : s.currentTime - first;
      out(s);
      if (s.row && s.row.viewers > 0 && s.row.bps > 0 && (Number(seconds) === 0 || s.advanced >= Number(seconds))) {
        ok = true;
        break;
      }
      await page.waitForTimeout(1000);
    }
    await page.screenshot({path: shot, fullPage: true});
    out({result: ok ? 'ok' : 'fail', screenshot: shot});
  } finally {
    await ctx.close();
  }
  return ok;
}

main().then((ok) => process.exit(ok ? 0 : 1), (e) => { out({result: 'error', error: String(e)}); process.exit(2); });
