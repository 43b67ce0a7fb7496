// Opens the rendered report in the system's headless Chromium and checks every chart really drew its bars.
// Uses Debian's /usr/bin/chromium (CI installs it); a missing browser fails the test rather than skipping it.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { renderStrategyReport } from './index.ts';
import { sampleMatrix } from './fixtures/sample-matrix.ts';

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
/** Where the screenshot goes, for a person to look at. */
const SCREENSHOT_PATH = join(tmpdir(), 'dmasim-strategy-report.png');

interface ChartCheck {
  id: string;
  canvases: number;
  width: number;
  height: number;
  /** Pixels that are neither transparent nor white (axes, grid, labels, bars). */
  inked: number;
  /** Pixels painted in exactly one of the chart's series colours: the bars themselves. */
  barPixels: number;
}

// Runs in the page (plain JavaScript: the project's TS config has no DOM types). For each chart: its canvas
// size, how many pixels are inked, and how many carry exactly one of the series colours, i.e. bar interiors.
const CHART_PROBE = `(() => Array.from(document.querySelectorAll('.plot')).map((plot) => {
  const canvases = plot.querySelectorAll('canvas');
  const canvas = canvases[0];
  const result = { id: plot.id, canvases: canvases.length, width: 0, height: 0, inked: 0, barPixels: 0 };
  if (!canvas) return result;
  result.width = canvas.width;
  result.height = canvas.height;
  const context = canvas.getContext('2d');
  if (!context || canvas.width === 0 || canvas.height === 0) return result;
  const colors = (plot.dataset.colors || '').split(' ').map((hex) =>
    [parseInt(hex.slice(1, 3), 16), parseInt(hex.slice(3, 5), 16), parseInt(hex.slice(5, 7), 16)]);
  const pixels = context.getImageData(0, 0, canvas.width, canvas.height).data;
  for (let i = 0; i < pixels.length; i += 4) {
    const r = pixels[i], g = pixels[i + 1], b = pixels[i + 2], a = pixels[i + 3];
    if (a === 0 || (r === 255 && g === 255 && b === 255)) continue;
    result.inked++;
    if (a === 255 && colors.some((c) => r === c[0] && g === c[1] && b === c[2])) result.barPixels++;
  }
  return result;
}))()`;

describe('strategy report in headless Chromium', () => {
  let dir = '';
  let browser: Browser | undefined;

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(`${CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium) to run the report browser test`);
    }
    dir = mkdtempSync(join(tmpdir(), 'dmasim-report-'));
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
  });

  afterAll(async () => {
    await browser?.close();
    if (dir !== '') rmSync(dir, { recursive: true, force: true });
  });

  it('renders every chart with bars, without page errors or network requests', async () => {
    const matrix = sampleMatrix();
    const file = join(dir, 'report.html');
    writeFileSync(file, renderStrategyReport(matrix));
    const fileUrl = pathToFileURL(file).href;

    const context = await browser!.newContext({ viewport: { width: 1280, height: 900 }, deviceScaleFactor: 1 });
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(`console error: ${message.text()}`);
    });
    page.on('request', (request) => {
      if (request.url() !== fileUrl) problems.push(`request: ${request.url()}`);
    });

    await page.goto(fileUrl);
    await page.waitForSelector('body[data-charts-ready]', { timeout: 20_000 });

    const checks = (await page.evaluate(CHART_PROBE)) as ChartCheck[];

    await page.screenshot({ path: SCREENSHOT_PATH, fullPage: true });
    await context.close();

    expect(problems).toEqual([]);
    expect(checks.length).toBe(8);
    for (const check of checks) {
      expect(check, check.id).toMatchObject({ canvases: 1 });
      expect(check.width, check.id).toBeGreaterThan(300);
      expect(check.height, check.id).toBeGreaterThan(200);
      expect(check.inked, check.id).toBeGreaterThan(1000);
      expect(check.barPixels, check.id).toBeGreaterThan(50);
    }
  });
});
