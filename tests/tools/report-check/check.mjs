// Renders an alemwatch HTML report in Debian's headless Chromium (driven by puppeteer-core, which
// never downloads a browser) with JavaScript disabled and every network request refused, and
// prints what the page shows as one JSON object on stdout:
//   {"signals": N, "signalsBySeverity": {...}, "charts": [{"patient", "analyte", "svg", "title", "desc",
//    "width", "height"}], "brokenLinks": [...], "consoleErrors": [...], "requests": [...], "screenshot": PATH}
// Usage: node check.mjs REPORT.html SCREENSHOT.png PATIENT_ID
// Exit code 0 when the page could be rendered; the caller judges the numbers.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import puppeteer from 'puppeteer-core';

const [report, screenshot, patient] = process.argv.slice(2);
if (!report || !screenshot || !patient) {
  console.error('usage: node check.mjs REPORT.html SCREENSHOT.png PATIENT_ID');
  process.exit(2);
}
const chromium = process.env.CHROMIUM || '/usr/bin/chromium';
const profile = mkdtempSync(join(tmpdir(), 'alemwatch-report-check-'));

const browser = await puppeteer.launch({
  executablePath: chromium,
  headless: true,
  userDataDir: profile,
  args: [
    '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
    '--disable-default-apps', '--disable-extensions', '--disable-sync', '--no-first-run',
    '--no-default-browser-check', '--disable-dev-shm-usage', '--metrics-recording-only', '--mute-audio',
    '--disable-features=Translate,MediaRouter,OptimizationHints', '--no-pings', '--password-store=basic',
    '--use-mock-keychain',
  ],
});
const result = { consoleErrors: [], requests: [] };
try {
  const page = await browser.newPage();
  await page.setJavaScriptEnabled(false);  // the report must read fully without scripts
  await page.setViewport({ width: 1100, height: 900 });
  await page.setRequestInterception(true);
  page.on('request', (request) => {
    const url = request.url();
    if (url.startsWith('file:') || url.startsWith('data:')) return request.continue();
    result.requests.push(url);  // the page asked for something outside itself: refused, reported
    return request.abort();
  });
  page.on('console', (message) => {
    if (message.type() === 'error') result.consoleErrors.push(message.text());
  });
  page.on('pageerror', (error) => result.consoleErrors.push(String(error)));
  page.on('requestfailed', (request) => {
    if (request.url().startsWith('file:')) result.consoleErrors.push(`failed to load ${request.url()}`);
  });

  await page.goto(pathToFileURL(resolve(report)).href, { waitUntil: 'load' });

  Object.assign(result, await page.evaluate(() => {
    const signals = [...document.querySelectorAll('li.signal')];
    const bySeverity = {};
    for (const s of signals) {
      const severity = [...s.classList].find((c) => c.startsWith('severity-')) || 'none';
      bySeverity[severity] = (bySeverity[severity] || 0) + 1;
    }
    const brokenLinks = [];
    for (const a of document.querySelectorAll('a[href^="#"]')) {
      if (!document.getElementById(decodeURIComponent(a.getAttribute('href').slice(1)))) brokenLinks.push(a.getAttribute('href'));
    }
    const charts = [...document.querySelectorAll('figure.analyte-chart')].map((f) => {
      const svg = f.querySelector('svg.chart');
      const box = svg ? svg.getBoundingClientRect() : { width: 0, height: 0 };
      return {
        patient: f.dataset.patient,
        analyte: f.dataset.analyte,
        svg: Boolean(svg),
        title: svg?.querySelector('title')?.textContent || '',
        desc: svg?.querySelector('desc')?.textContent || '',
        points: svg ? svg.querySelectorAll('circle.point').length : 0,
        highlighted: svg ? svg.querySelectorAll('circle.point.highlighted').length : 0,
        width: box.width,
        height: box.height,
      };
    });
    return { signals: signals.length, signalsBySeverity: bySeverity, brokenLinks, charts,
             patients: document.querySelectorAll('section.patient').length };
  }));

  const section = await page.$(`section.patient[id="patient-${patient.replace(/["\\]/g, '\\$&')}"]`);
  if (section) {
    await section.screenshot({ path: screenshot });
    result.screenshot = resolve(screenshot);
  } else {
    result.screenshot = null;
  }
  // Printing must lay the page out without error (the @media print rules).
  const pdf = await page.pdf({ format: 'A4', printBackground: true });
  result.pdfBytes = pdf.length;
} finally {
  await browser.close();
  rmSync(profile, { recursive: true, force: true });
}
process.stdout.write(JSON.stringify(result) + '\n');
