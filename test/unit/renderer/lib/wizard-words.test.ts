/**
 * The wizard's language (issue 15 item 10): what the service says for the CLI is shown with the
 * wizard's fields and buttons. Every remedy written in src-main is run through the translation:
 * none may still name a CLI flag or an `asr-deploy …` command.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { inWizardWords, validationInWords } from '../../../../src-renderer/lib/wizard-words.ts';

const SRC = join(import.meta.dirname, '../../../../src-main');

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** Remedy and message strings as written (single-line literals after `remedy:` or in fail(…, '…')). */
function userTexts(): string[] {
  const out: string[] = [];
  for (const f of files(SRC)) {
    if (/[/\\]cli[/\\]/.test(f)) continue; // the CLI's own help text is for the CLI
    const text = readFileSync(f, 'utf8');
    for (const m of text.matchAll(/remedy:\s*(['`])((?:\\.|(?!\1).)*)\1/g)) out.push(m[2]!);
    for (const m of text.matchAll(/fail\(\s*'[a-z_]+',\s*(['`])((?:\\.|(?!\1).)*)\1/g)) out.push(m[2]!);
  }
  return out;
}

describe('the wizard speaks the wizard’s language', () => {
  it('no remedy or message of the service names a CLI flag or command once translated', () => {
    const texts = userTexts();
    expect(texts.length).toBeGreaterThan(100);
    // Schedules, catalogs, installer pins and Ansible exports have no wizard page: their commands stay.
    const left = texts
      .map(inWizardWords)
      .filter(
        (t) =>
          /(^|[\s`(])--[a-z]/.test(t) ||
          /asr-deploy (hosts|trust|credentials|plan|apply|check|jobs|sweep|proxy|discover|report|versions|facts|components)\b/.test(t),
      );
    expect(left).toEqual([]);
  });

  it('names the field or button, not the flag', () => {
    expect(inWizardWords('plan with --vault-credentials FILE (the registration key, valid five days)')).toBe(
      'plan with the Vault credentials file field (Plan) (the registration key, valid five days)',
    );
    expect(inWizardWords('Approve it with `asr-deploy trust approve 10.0.0.5`.')).toBe('Approve it with Credentials and trust → Scan, then Approve checked.');
    expect(inWizardWords('Fix the rows named above, or pass --skip-invalid to import only the valid ones.')).toBe(
      'Fix the rows named above, or use Skip invalid rows (Hosts → Import) to import only the valid ones.',
    );
    expect(inWizardWords('Add it first with `asr-deploy credentials add`.')).toBe('Add it first with Credentials and trust → Add a credential.');
    expect(inWizardWords('Nothing to translate here.')).toBe('Nothing to translate here.');
  });

  it('says validation in words', () => {
    expect(validationInWords('port: Too big: expected number to be <=65535')).toBe('Port must be a number from 1 to 65535.');
    expect(validationInWords('concurrency: Too small: expected number to be >=1')).toBe('Concurrency must be a number of at least 1.');
    expect(validationInWords('os: Invalid option: expected one of "linux"|"windows"')).toBe('Os must be one of linux, windows.');
    expect(validationInWords('address: Too small: expected string to have >=1 characters')).toBe('Address is required.');
  });
});
