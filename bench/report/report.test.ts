import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { describe, it, expect } from 'vitest';
import { renderStrategyReport, ReportInputError, escapeHtml, jsonForScript } from './index.ts';
import type { StrategyMatrix } from './index.ts';
import { buildChartSpecs } from './chart-data.ts';
import { validateMatrix } from './validate-matrix.ts';
import { sampleMatrix } from './fixtures/sample-matrix.ts';

const uplotDist = join(dirname(createRequire(import.meta.url).resolve('uplot/package.json')), 'dist');

/** The chart specs embedded in the page, parsed back. */
function embeddedSpecs(html: string): Array<{ id: string; series: Array<{ label: string; values: Array<number | null> }> }> {
  const match = /<script type="application\/json" id="dmasim-chart-data">([^<]*)<\/script>/.exec(html);
  expect(match).not.toBeNull();
  return JSON.parse(match![1]!);
}

describe('renderStrategyReport', () => {
  const matrix = sampleMatrix();
  const html = renderStrategyReport(matrix);

  it('inlines uPlot script and stylesheet from node_modules', () => {
    expect(html).toContain(readFileSync(join(uplotDist, 'uPlot.iife.min.js'), 'utf8'));
    expect(html).toContain(readFileSync(join(uplotDist, 'uPlot.min.css'), 'utf8'));
  });

  it('references no external script, stylesheet or other resource', () => {
    expect(html).not.toMatch(/<script[^>]*\ssrc\s*=/i);
    expect(html).not.toMatch(/<link[^>]*\shref\s*=/i);
    expect(html).not.toMatch(/\s(src|href)\s*=\s*["']?(https?:)?\/\//i);
  });

  it('titles the page with the preset and seed and carries no timestamp', () => {
    expect(html).toContain('<title>dmasim strategy matrix \u2014 exynos4412, seed 42</title>');
    expect(html).not.toMatch(/\b20\d\d-\d\d-\d\d/);
    expect(renderStrategyReport(sampleMatrix())).toBe(html);
  });

  it('shows every workload, strategy, ranking and not-applicable reason', () => {
    for (const workload of matrix.workloads) expect(html).toContain(`<h3>${escapeHtml(workload)}</h3>`);
    for (const strategy of matrix.strategies) expect(html).toContain(`<th>${escapeHtml(strategy)}</th>`);
    expect(html).toContain('<strong>dmabounce</strong>: the device reaches all of DRAM: nothing to bounce');
    expect(html).toContain('the audio DMA (PL330) is not wired to the ACP port');
    const best = matrix.ranking['NIC RX/TX']![0]!;
    expect(html).toMatch(new RegExp(`<tr class="best"><td class="rank">1</td><td class="name">${best}</td>`));
  });

  it('prints the metrics of a cell in its ranking row', () => {
    // camera 720p × swiotlb: 55 296 000 bytes moved and bounced, 4 deadline misses (made-up numbers).
    const section = html.slice(html.indexOf('id="workload-1"'), html.indexOf('id="workload-2"'));
    const row = section.split('\n').find((line) => line.includes('<td class="name">swiotlb</td>'));
    expect(row).toBeDefined();
    expect(row).toContain('title="55\u2009296\u2009000 bytes">52.7 MiB</td>');
    expect(row).toContain('<td class="num bad">4</td>');
  });

  it('embeds one chart per metric with one series per workload', () => {
    const specs = embeddedSpecs(html);
    expect(specs.map((s) => s.id)).toEqual([
      'cpu-cycles-per-byte',
      'cleaned-per-byte',
      'invalidated-per-byte',
      'bounced-per-byte',
      'iotlb-hit-rate',
      'dram-per-byte',
      'deadline-misses',
      'violations',
    ]);
    for (const spec of specs) expect(spec.series.map((s) => s.label)).toEqual(matrix.workloads);
    expect((html.match(/<div class="plot" id="chart-\d+"/g) ?? []).length).toBe(specs.length);
  });

  it('escapes user-controlled names in text, attributes and embedded JSON', () => {
    const evil = '</script><script>alert("x")</script>&\'';
    const hostile: StrategyMatrix = {
      soc: `<b>${evil}</b>`,
      seed: 7,
      workloads: [evil],
      strategies: ['ok', `<img src=x onerror=alert(1)>`],
      cells: [
        { workload: evil, strategy: 'ok', applicable: true, metrics: sampleMatrix().cells[0]!.metrics! },
        { workload: evil, strategy: '<img src=x onerror=alert(1)>', applicable: false, reason: '"quoted" <reason>' },
      ],
      ranking: { [evil]: ['ok'] },
    };
    const out = renderStrategyReport(hostile);
    expect(out).not.toContain('<script>alert');
    expect(out).not.toContain('<img src=x');
    expect(out).not.toContain('<b>');
    expect(out).toContain(escapeHtml(evil));
    expect(out).toContain('title="&quot;quoted&quot; &lt;reason&gt;"');
    expect(embeddedSpecs(out)[0]!.series[0]!.label).toBe(evil);
  });
});

describe('chart layout', () => {
  it('puts each workload in its own slot inside the strategy group', () => {
    const matrix = sampleMatrix();
    const specs = buildChartSpecs(matrix, validateMatrix(matrix));
    const cycles = specs[0]!;
    const perGroup = matrix.workloads.length + 1;
    expect(cycles.slots).toBe(matrix.strategies.length * perGroup - 1);
    const cell = matrix.cells.find((c) => c.workload === 'audio 48 kHz playback' && c.strategy === 'swiotlb')!;
    expect(cycles.series[2]!.values[4 * perGroup + 2]).toBe(cell.metrics!.cpuCyclesPerByte);
    // Slots of the other workloads stay empty in this series; not-applicable cells have no bar.
    expect(cycles.series[2]!.values[4 * perGroup + 1]).toBeNull();
    expect(cycles.series[2]!.values[3 * perGroup + 2]).toBeNull(); // dmabounce n/a for audio
    expect(cycles.groups[4]).toEqual({ center: 4 * perGroup + (matrix.workloads.length - 1) / 2, label: 'swiotlb' });
  });

  it('charts no IOTLB bar for strategies without an IOMMU', () => {
    const matrix = sampleMatrix();
    const iotlb = buildChartSpecs(matrix, validateMatrix(matrix)).find((s) => s.id === 'iotlb-hit-rate')!;
    const perGroup = matrix.workloads.length + 1;
    expect(iotlb.series[0]!.values[0]).toBeNull(); // coherent
    expect(iotlb.series[0]!.values[5 * perGroup]).toBeCloseTo(62); // iommu strict, as a percentage
  });

  it('lists the not-applicable slots so the page can label them', () => {
    const matrix = sampleMatrix();
    const specs = buildChartSpecs(matrix, validateMatrix(matrix));
    const perGroup = matrix.workloads.length + 1;
    // dmabounce (strategy 3) for every workload but the NIC (3); ACP (7) for audio (2).
    expect(specs[0]!.notApplicable).toEqual([3 * perGroup, 3 * perGroup + 1, 3 * perGroup + 2, 3 * perGroup + 4, 7 * perGroup + 2]);
    expect(specs.filter((s) => s.integer).map((s) => s.id)).toEqual(['deadline-misses', 'violations']);
  });
});

describe('matrix validation', () => {
  const broken = (edit: (m: StrategyMatrix) => void): StrategyMatrix => {
    const m = sampleMatrix();
    edit(m);
    return m;
  };

  it.each([
    ['a missing cell', (m: StrategyMatrix) => m.cells.pop(), /no cell for "block SG" × "acp \/ ace-lite"/],
    ['a duplicate cell', (m: StrategyMatrix) => m.cells.push({ ...m.cells[0]! }), /duplicate cell/],
    ['an unknown workload', (m: StrategyMatrix) => (m.cells[0]!.workload = 'tape'), /workload is not in workloads/],
    ['metrics missing', (m: StrategyMatrix) => delete m.cells[0]!.metrics, /is applicable but has no metrics/],
    ['a negative byte count', (m: StrategyMatrix) => (m.cells[0]!.metrics!.bytesCleaned = -1), /metrics\.bytesCleaned must be a finite number >= 0/],
    ['a hit rate above 1', (m: StrategyMatrix) => (m.cells[5]!.metrics!.iotlbHitRate = 1.5), /iotlbHitRate must be null or a fraction/],
    ['n/a without reason', (m: StrategyMatrix) => delete m.cells[3]!.reason, /not applicable but gives no reason/],
    ['ranking an n/a strategy', (m: StrategyMatrix) => m.ranking['camera 1080p30 NV12']!.push('dmabounce'), /ranks "dmabounce", which is not applicable/],
    ['ranking an unknown workload', (m: StrategyMatrix) => (m.ranking['tape'] = []), /ranking names workload "tape"/],
    ['duplicate strategy names', (m: StrategyMatrix) => m.strategies.push('swiotlb'), /strategies lists "swiotlb" twice/],
  ])('rejects %s', (_name, edit, message) => {
    const m = broken(edit);
    expect(() => renderStrategyReport(m)).toThrow(ReportInputError);
    expect(() => renderStrategyReport(m)).toThrow(message);
  });
});

describe('jsonForScript', () => {
  it('cannot close the script element it is embedded in', () => {
    const text = jsonForScript({ name: '</script><!-- & \u2028' });
    expect(text).not.toMatch(/[<>&\u2028]/);
    expect(JSON.parse(text)).toEqual({ name: '</script><!-- & \u2028' });
  });
});
