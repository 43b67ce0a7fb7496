// The browser-side code that draws the charts from the embedded JSON. Plain ES5-style JavaScript kept as a
// string: it runs in the reader's browser next to the inlined uPlot, never in Node.
export const CHART_SCRIPT = String.raw`
(function () {
  'use strict';
  var specs = JSON.parse(document.getElementById('dmasim-chart-data').textContent);
  var plots = [];

  function compact(v) {
    if (v == null) return '';
    var a = Math.abs(v);
    if (a >= 1e9) return (v / 1e9).toFixed(a >= 1e10 ? 0 : 1) + 'G';
    if (a >= 1e6) return (v / 1e6).toFixed(a >= 1e7 ? 0 : 1) + 'M';
    if (a >= 1e4) return (v / 1e3).toFixed(0) + 'k';
    if (a >= 100 || v === Math.round(v)) return String(Math.round(v));
    return String(+v.toPrecision(3));
  }

  function chartWidth(el) {
    return Math.max(360, Math.min(el.clientWidth || 900, 1200));
  }

  // Long strategy names wrap onto several lines (uPlot draws '\n' in tick values as line breaks).
  function wrapLabel(label, maxChars) {
    var lines = [];
    var line = '';
    label.split(' ').forEach(function (word) {
      if (line !== '' && (line + ' ' + word).length > maxChars) { lines.push(line); line = word; }
      else line = line === '' ? word : line + ' ' + word;
    });
    lines.push(line);
    return lines;
  }

  function xAxisLayout(spec, width) {
    var groupPx = (width - 80) / Math.max(1, spec.groups.length);
    var maxChars = Math.max(6, Math.floor((groupPx * 0.92) / 7));
    var maxLines = 1;
    var labels = spec.groups.map(function (g) {
      var lines = wrapLabel(g.label, maxChars);
      maxLines = Math.max(maxLines, lines.length);
      return lines.join('\n');
    });
    return { labels: labels, size: 18 + 15 * maxLines };
  }

  var INTEGER_INCRS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1e3, 2e3, 5e3, 1e4, 2e4, 5e4, 1e5, 1e6, 1e7, 1e8, 1e9];

  // Marks not-applicable slots with a small grey "n/a" on the baseline, so they do not read as zero.
  function drawNotApplicable(spec) {
    return function (u) {
      var ctx = u.ctx;
      var ratio = window.devicePixelRatio || 1;
      var y = u.valToPos(0, 'y', true) - 3 * ratio;
      ctx.save();
      ctx.fillStyle = '#8a94a3';
      ctx.font = Math.round(10 * ratio) + 'px system-ui, sans-serif';
      ctx.textAlign = 'center';
      ctx.textBaseline = 'bottom';
      spec.notApplicable.forEach(function (slot) { ctx.fillText('n/a', u.valToPos(slot, 'x', true), y); });
      ctx.restore();
    };
  }

  function makeOptions(spec, width) {
    var layout = xAxisLayout(spec, width);
    var bars = uPlot.paths.bars({ size: [0.86, Infinity], align: 0 });
    var options = {
      width: width,
      height: 300,
      legend: { live: false },
      hooks: { draw: [drawNotApplicable(spec)] },
      cursor: { show: false },
      scales: {
        x: { time: false, range: function () { return [-0.7, spec.slots - 0.3]; } },
        y: { range: function (u, min, max) { return [0, max > 0 ? max * 1.1 : 1]; } }
      },
      axes: [
        {
          splits: function () { return spec.groups.map(function (g) { return g.center; }); },
          values: function (u) { return xAxisLayout(spec, u.width).labels; },
          size: layout.size,
          grid: { show: false },
          ticks: { show: false },
          font: '12px system-ui, sans-serif'
        },
        {
          label: spec.unit,
          labelSize: 20,
          size: 56,
          values: function (u, splits) { return splits.map(compact); },
          font: '11px system-ui, sans-serif',
          labelFont: '12px system-ui, sans-serif'
        }
      ],
      series: [{}].concat(spec.series.map(function (s) {
        return { label: s.label, fill: s.color, stroke: s.color, width: 0, paths: bars, points: { show: false } };
      }))
    };
    // Set only for counts: an explicit undefined would replace uPlot's default increments.
    if (spec.integer) options.axes[1].incrs = INTEGER_INCRS;
    return options;
  }

  specs.forEach(function (spec, i) {
    var el = document.getElementById('chart-' + i);
    var xs = [];
    for (var k = 0; k < spec.slots; k++) xs.push(k);
    var data = [xs].concat(spec.series.map(function (s) { return s.values; }));
    plots.push({ el: el, plot: new uPlot(makeOptions(spec, chartWidth(el)), data, el) });
  });

  // Exposed for debugging and for the browser test.
  window.dmasimPlots = plots.map(function (p) { return p.plot; });

  var resizeTimer = 0;
  window.addEventListener('resize', function () {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(function () {
      plots.forEach(function (p) { p.plot.setSize({ width: chartWidth(p.el), height: 300 }); });
    }, 100);
  });

  // uPlot draws on the next frames; the browser test waits for this flag.
  requestAnimationFrame(function () {
    requestAnimationFrame(function () { document.body.setAttribute('data-charts-ready', String(plots.length)); });
  });
})();
`;
