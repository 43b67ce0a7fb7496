// Number formatting for the tables. Hand-written rather than Intl so the output never depends on locale or
// ICU data: the report must be byte-identical across machines.

/** Groups the integer digits in threes with thin spaces: 1234567 -> "1 234 567". */
export function formatInteger(value: number): string {
  const rounded = Math.round(value);
  const digits = Math.abs(rounded).toString();
  const grouped = digits.replace(/\B(?=(\d{3})+(?!\d))/g, '\u2009');
  return rounded < 0 ? `-${grouped}` : grouped;
}

const BYTE_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];

/** Binary units with one decimal above 1 KiB: 1536 -> "1.5 KiB". */
export function formatBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (Math.abs(value) >= 1024 && unit < BYTE_UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${formatInteger(value)} B` : `${value.toFixed(1)} ${BYTE_UNITS[unit]}`;
}

/** Three significant digits for small ratios, grouped integers for large ones. */
export function formatRatio(value: number): string {
  if (value === 0) return '0';
  const magnitude = Math.abs(value);
  if (magnitude >= 1000) return formatInteger(value);
  if (magnitude >= 100) return value.toFixed(1);
  if (magnitude >= 1) return value.toFixed(2);
  return value.toPrecision(3);
}

/** A 0..1 fraction as a percentage with one decimal; null (no IOMMU) as an em dash. */
export function formatPercent(fraction: number | null): string {
  return fraction === null ? '\u2014' : `${(fraction * 100).toFixed(1)} %`;
}
