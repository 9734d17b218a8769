/**
 * The service's messages are written for the CLI (`--passphrase-file`, `asr-deploy trust
 * approve`). In the wizard they name the fields, buttons and steps instead (issue 15 item 10).
 * Pure text rewriting: the service's meaning is kept, only the words for "where" change.
 */

/** A CLI command (in backticks or not) → where the same thing is done in the wizard. */
const COMMANDS: [RegExp, string][] = [
  [/(?:asr-deploy )?jobs config-requests(?: [A-Z_.:<>[\]a-z0-9-]+)*(?: --out [A-Z_a-z0-9./-]+)?/g, 'the appliance configuration requests of the job (Apply)'],
  [/(?:asr-deploy )?jobs configure(?: [A-Z_.:<>[\]a-z0-9-]+)*(?: --from [A-Z_a-z0-9./-]+)?/g, 'the appliance configuration files of the job (Apply)'],
  [/asr-deploy trust approve(?: --replace)?(?: [A-Z_.:<>[\]a-z0-9-]+)*/g, 'Credentials and trust → Scan, then Approve checked'],
  [/asr-deploy trust (?:scan|list)(?: [A-Z_.:<>[\]a-z0-9-]+)*/g, 'Credentials and trust → Scan'],
  [/asr-deploy trust revoke(?: [A-Z_.:<>[\]a-z0-9-]+)*/g, 'Credentials and trust → Revoke'],
  [/asr-deploy hosts (?:conflicts|accept-conflict)(?: [A-Z_.:<>[\]a-z0-9-]+)*/g, 'Hosts → Discovery conflicts'],
  [/asr-deploy hosts (?:add|winrm)(?: [A-Z_.:<>[\]a-z0-9-]+)*/g, 'Hosts → Add by hand'],
  [/asr-deploy hosts (?:list|import)(?: [A-Z_.:<>[\]a-z0-9-]+)*/g, 'the Hosts step'],
  [/asr-deploy credentials (?:add|list)(?: [A-Z_.:<>[\]a-z0-9-]+)*/g, 'Credentials and trust → Add a credential'],
  [/asr-deploy proxy (?:set|list)(?: [A-Z_.:<>[\]a-z0-9-]+)*/g, 'Credentials and trust → Proxies'],
  [/asr-deploy jobs logs(?: [A-Z_.:<>[\]a-z0-9-]+)*(?: --host [A-Z_a-z0-9.-]+)?/g, "the host's Log button (Apply)"],
  [/asr-deploy (?:jobs list|jobs cancel|jobs resume|apply)(?: [A-Z_.:<>[\]a-z0-9-]+)*/g, 'the Apply step'],
  [/asr-deploy plan(?: [A-Z_.:<>[\]a-z0-9-]+)*/g, 'the Plan step'],
  [/asr-deploy check(?: [A-Z_.:<>[\]a-z0-9-]+)*/g, 'the Prerequisites step'],
  [/asr-deploy (?:sweep|versions)(?: [A-Z_.:<>[\]a-z0-9-]+)*/g, 'the Components view'],
  [/asr-deploy serve(?: [A-Z_.:<>[\]a-z0-9-]+)*/g, 'asr-deploy serve (in a terminal)'],
];

/** A CLI option → the field or button that sets it in the wizard. */
const FLAGS: Record<string, string> = {
  '--passphrase-file': 'the Passphrase file field (Plan)',
  '--passphrase-stdin': 'the Passphrase file field (Plan)',
  '--vault-credentials': 'the Vault credentials file field (Plan)',
  '--friendly-name': 'the Friendly name field (Plan)',
  '--proxy': 'the Proxy field (Plan)',
  '--accept': 'Accept failing checks (Plan)',
  '--source': 'the installers chosen in the Installers step',
  '--cs': 'the Configuration server field',
  '--appliance': 'the Replication appliance field',
  '--ps': 'the Process server field',
  '--hosts': 'the host selection (Hosts)',
  '--component': 'the Component field',
  '--version': 'the Version field',
  '--credential': 'the Credential field',
  '--host-credential': 'the Credential field',
  '--password-stdin': 'the Password field (Credentials and trust)',
  '--sudo-password-stdin': 'the Sudo password field (Credentials and trust)',
  '--private-key': 'the Key file field (Credentials and trust)',
  '--key-file': 'the Key file field (Credentials and trust)',
  '--fingerprint': 'the Certificate fingerprint field',
  '--replace': 'Approve checked (Credentials and trust), after comparing the fingerprints',
  '--port': 'the Port field',
  '--os': 'the OS field (Hosts → Add by hand)',
  '--transport': 'the OS field (Hosts → Add by hand)',
  '--skip-invalid': 'Skip invalid rows (Hosts → Import)',
  '--concurrency': 'the Hosts at a time field (Apply)',
  '--max-failures': 'the Stop after failures field (Apply)',
  '--retry-failed': 'the Retry failed button (Apply)',
  '--yes': 'the Apply button',
  '--force': 'the scan of a range (Hosts → Discover)',
  '--ports': 'the Ports field (Hosts → Discover)',
  '--add': 'the Discover forms (Hosts)',
  '--url': 'the Proxy URL field (Proxies)',
  '--endpoint': 'the proxy Test button (Proxies)',
  '--server': 'the Server address field',
  '--format': 'the Format field (Summary)',
};

/** Long flags a message may carry that have no field (printed as "the matching setting"). */
const FLAG = /`?(--[a-z][a-z0-9-]*)(?:[ =](?:[A-Z][A-Z_]*|<[^>]+>|N|S|FILE|DIR|PATH|ID|V|C|SEL|NAME|HOST|ADDRESS|FP))?`?/g;

/** Rewrites CLI words into the wizard's; text without them comes back unchanged. */
export function inWizardWords(text: string): string {
  let out = text;
  for (const [re, words] of COMMANDS) out = out.replace(new RegExp('`?' + re.source + '`?', 'g'), words);
  out = out.replace(FLAG, (_m, flag: string) => FLAGS[flag] ?? 'the matching setting');
  // "pass --x" / "give --x" read oddly once the flag is a field or a button: "use …".
  out = out.replace(/\b(?:pass|give) (the [A-Z]|[A-Z])/g, 'use $1');
  return out;
}

/** Zod-style "field: message" validation text → "Field must …" in words (the common cases). */
export function validationInWords(message: string): string {
  return message
    .split('; ')
    .map((part) => {
      const m = /^([\w.]+): (.*)$/.exec(part);
      if (!m) return part;
      const field = m[1]!
        .split('.')
        .at(-1)!
        .replace(/([a-z])([A-Z])/g, '$1 $2')
        .toLowerCase();
      const label = field.charAt(0).toUpperCase() + field.slice(1);
      const msg = m[2]!;
      if (field === 'port' && /Too (big|small)|expected number|Invalid input/.test(msg)) return 'Port must be a number from 1 to 65535.';
      const big = /Too big: expected number to be <=?(\d+)/.exec(msg);
      if (big) return `${label} must be a number no larger than ${big[1]}.`;
      const small = /Too small: expected number to be >=?(-?\d+)/.exec(msg);
      if (small) return `${label} must be a number of at least ${small[1]}.`;
      if (/expected number, received/.test(msg)) return `${label} must be a number.`;
      if (/Too small: expected string to have >=1 characters/.test(msg)) return `${label} is required.`;
      if (/expected string, received undefined|Required/.test(msg)) return `${label} is required.`;
      const opts = /Invalid option: expected one of (.*)$/.exec(msg);
      if (opts) return `${label} must be one of ${opts[1]!.replace(/"/g, '').split('|').join(', ')}.`;
      return `${label}: ${msg}`;
    })
    .join(' ');
}
