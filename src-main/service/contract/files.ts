import { z } from 'zod';
import type { GrantKind } from '../files.ts';

/**
 * Files from front ends other than the CLI (issue 12 item 5; docs/ARCHITECTURE.md, "Files from the
 * window"). The page uploads a file in chunks into a private per-session folder and gets an opaque
 * handle (`asr-file:…`); the desktop app's native dialogs give the same kind of handle for a path
 * the user chose. Commands that take local paths accept a handle in the fields listed in
 * FILE_INPUTS, and from the desktop app or the browser page they accept nothing else.
 */

export interface FileInput {
  kind: GrantKind;
  /** The field as the wizard names it, for errors ("Passphrase file: …"). */
  label: string;
  /** An http(s) URL is not a local path and passes (installer repositories, catalog URLs). */
  urls?: boolean;
}

/**
 * Every input field that names a file or folder on this machine, by command. A command that adds
 * such a field adds it here (the contract test fails otherwise). `file`: read a file; `dir`: read
 * a folder (an uploaded folder of several files, or a folder chosen in the desktop app); `save`:
 * a file to write (a save dialog in the desktop app; the browser downloads instead).
 */
export const FILE_INPUTS: Readonly<Record<string, Readonly<Record<string, FileInput>>>> = {
  'hosts.import': { file: { kind: 'file', label: 'Host file' } },
  'sources.scan': { dir: { kind: 'dir', label: 'Installer folder' } },
  'sources.trust': { dir: { kind: 'dir', label: 'Installer folder' } },
  'plan.create': {
    source: { kind: 'dir', label: 'Installer folder', urls: true },
    passphraseFile: { kind: 'file', label: 'Passphrase file' },
    vaultCredentialsFile: { kind: 'file', label: 'Vault credentials file' },
  },
  'report.create': { out: { kind: 'save', label: 'Report file' } },
  'proxy.apply': { vaultCredentialsFile: { kind: 'file', label: 'Vault credentials file' } },
  'sweep.run': { source: { kind: 'dir', label: 'Installer folder', urls: true } },
  'catalog.update': { source: { kind: 'file', label: 'Catalog file', urls: true } },
  'export.ansible': { out: { kind: 'save', label: 'Ansible folder' } },
  'schedule.add': { vaultKeyFile: { kind: 'file', label: 'Vault key file' } },
  'credentials.add': { keyFile: { kind: 'file', label: 'Key file' } },
  'jobs.configRequests': { out: { kind: 'save', label: 'Config requests folder' } },
  'jobs.configure': { from: { kind: 'dir', label: 'Config files' } },
};

const Handle = z.string().regex(/^asr-file:[A-Za-z0-9_-]{22}$/, 'not a file handle');
/** Base64 of at most 6 MiB per part: well under the WebSocket's message limit. */
export const UPLOAD_CHUNK_BYTES = 6 * 1024 * 1024;

export const filesCommands = {
  'ui.files.begin': {
    summary: 'Start uploading a file from the window; returns its handle and the handle of the upload folder (pass it to add more files to that folder).',
    input: z.object({ name: z.string().min(1).max(255), size: z.number().int().min(0), folder: Handle.optional() }),
    output: z.object({ handle: z.string(), folder: z.string(), name: z.string() }),
  },
  'ui.files.chunk': {
    summary: 'One part of an upload, in order (offset = bytes sent so far), as base64.',
    input: z.object({ handle: Handle, offset: z.number().int().min(0), data: z.base64().max(Math.ceil(UPLOAD_CHUNK_BYTES / 3) * 4) }),
    output: z.object({ received: z.number().int() }),
  },
  'ui.files.finish': {
    summary: 'Complete an upload (optionally checked against the SHA-256 the page computed).',
    input: z.object({
      handle: Handle,
      sha256: z
        .string()
        .regex(/^[0-9a-fA-F]{64}$/)
        .optional(),
    }),
    output: z.object({ handle: z.string(), folder: z.string(), name: z.string(), size: z.number().int(), sha256: z.string() }),
  },
} as const;
