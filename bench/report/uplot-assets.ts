// uPlot's browser build and stylesheet, read from the installed package at run time so the report is
// self-contained. The CLI bundle keeps packages external, so this resolves from dist/ as well.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { ReportInputError } from './errors.ts';

export interface UplotAssets {
  js: string;
  css: string;
}

let cached: UplotAssets | undefined;

export function loadUplotAssets(): UplotAssets {
  if (cached !== undefined) return cached;
  let packageJson: string;
  try {
    packageJson = createRequire(import.meta.url).resolve('uplot/package.json');
  } catch (error) {
    throw new ReportInputError('report: the uplot package is not installed; it is needed to draw the charts', {
      cause: error,
    });
  }
  const dist = join(dirname(packageJson), 'dist');
  cached = {
    js: readFileSync(join(dist, 'uPlot.iife.min.js'), 'utf8'),
    css: readFileSync(join(dist, 'uPlot.min.css'), 'utf8'),
  };
  return cached;
}
