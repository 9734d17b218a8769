import type { Host } from '../model/host.ts';
import { parseWinrmSettings, winrmSettingsKey, type WinrmSettings } from '../model/winrm.ts';
import { nowIso } from './db.ts';
import type { SettingsRepository } from './settings.ts';

export function winrmSettings(settings: SettingsRepository, host: Pick<Host, 'id'>): WinrmSettings {
  return parseWinrmSettings(settings.get<Partial<WinrmSettings>>(winrmSettingsKey(host.id)));
}

/** The operator's choice (`hosts winrm`); the secure default is stored as no row at all. */
export function setWinrmSettings(settings: SettingsRepository, host: Pick<Host, 'id'>, value: Omit<WinrmSettings, 'setAt'>): WinrmSettings {
  const v = { ...value, setAt: nowIso() };
  if (v.auth === 'Negotiate' && v.useSsl) settings.delete(winrmSettingsKey(host.id));
  else settings.set(winrmSettingsKey(host.id), v);
  return v;
}
