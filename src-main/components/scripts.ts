import { readFileSync } from 'node:fs';
import { resourcePath } from '../model/resources.ts';

const cache = new Map<string, string>();

/** The text of a remote script in resources/scripts/<family>/; remote logic lives only there. */
export function remoteScript(family: 'linux' | 'windows', name: string): string {
  const key = `${family}/${name}`;
  let text = cache.get(key);
  if (text === undefined) {
    text = readFileSync(resourcePath('scripts', family, name), 'utf8');
    cache.set(key, text);
  }
  return text;
}

/** argv that runs a POSIX script with arguments passed as data: `sh -c SCRIPT NAME ARG...`. */
export function shScript(name: string, ...args: string[]): string[] {
  return ['sh', '-c', remoteScript('linux', name), name, ...args];
}
