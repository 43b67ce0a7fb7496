/** Bad trace input: `where` names the file and line or byte offset, the message says what was expected. */
export class TraceFormatError extends Error {
  readonly where: string;
  readonly detail: string;
  constructor(where: string, detail: string) {
    super(where ? `${where}: ${detail}` : detail);
    this.name = 'TraceFormatError';
    this.where = where;
    this.detail = detail;
  }
}

/** Short printable form of a bad value for an error message (bounded so hostile input stays one line). */
export function show(v: unknown): string {
  let s: string;
  if (v === undefined) return 'nothing';
  try {
    s = typeof v === 'bigint' ? `${v}n` : (JSON.stringify(v) ?? String(v));
  } catch {
    s = String(v);
  }
  s = s.replace(/[\r\n]/g, ' ');
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}
