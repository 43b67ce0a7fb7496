// Names in the matrix come from users (workload and preset files), so every string is escaped on the way out.

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escapes text for HTML element content and quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => HTML_ESCAPES[ch] ?? ch);
}

/**
 * JSON safe to embed inside a <script> element: `<`, `>` and `&` become \u escapes so no string can close the
 * element or open a comment; U+2028/2029 are escaped for old JS parsers.
 */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Inlined library code must not contain a `</script` that would end its element early. */
export function scriptSafe(code: string): string {
  return code.replace(/<\/(script)/gi, '<\\/$1');
}

/** Inlined CSS must not end its <style> element early. */
export function styleSafe(css: string): string {
  return css.replace(/<\/(style)/gi, '<\\/$1');
}
