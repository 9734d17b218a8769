import { createHash } from 'node:crypto';

/** Escape text for HTML element content and quoted attribute values. */
export function escapeHtml(value: unknown): string {
  return String(value ?? '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/** CSP source for one inline <style> block: 'sha256-…' of its exact text. */
export function cspHash(text: string): string {
  return `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;
}

/**
 * A strict CSP for a self-contained report: nothing loads, nothing runs, only the one inline
 * stylesheet whose hash is given. Safe inside a double-quoted attribute as is (no " < &).
 */
export function reportCsp(styleText: string): string {
  return `default-src 'none'; style-src ${cspHash(styleText)}; img-src 'none'; script-src 'none'; base-uri 'none'; form-action 'none'`;
}
