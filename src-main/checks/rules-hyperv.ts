import { defineCheck, type CheckDefinition } from './definition.ts';
import { result, unknownFacts } from './helpers.ts';

/** Provider / MARS agent: the host has to be a Hyper-V host or a VMM server of a supported version. */
export const hostRole = defineCheck({
  id: 'host-role',
  title: 'Hyper-V role or supported VMM server installed',
  families: ['windows'],
  components: ['provider', 'mars-agent'],
  needs: { windows: ['windows.hyperV'] },
  appliesTo: (m) => m.hostRole !== undefined,
  run(facts, matrix) {
    const role = matrix.hostRole!;
    const w = facts.windows;
    const wantsHyperV = role.anyOf.includes('hyperv');
    const wantsVmm = role.anyOf.includes('vmm');
    if (wantsHyperV && w?.hyperV === true) return result(this, 'pass', 'The Hyper-V role is installed.');
    let vmmVerdict: 'pass' | 'fail' | 'unknown' | 'n/a' = 'n/a';
    let vmmText = '';
    if (wantsVmm) {
      if (w?.vmmServer == null) vmmVerdict = 'unknown';
      else if (!w.vmmServer) vmmVerdict = 'fail';
      else if (!w.vmmVersion) vmmVerdict = 'unknown';
      else {
        const v = w.vmmVersion;
        const hit = (role.vmmVersions ?? []).find((x) => v.startsWith(x.version) || v.includes(x.name.replace(/^VMM /, '')));
        vmmVerdict = !role.vmmVersions || hit ? 'pass' : 'fail';
        vmmText = hit ? `${hit.name} (${v})` : v;
      }
    }
    if (vmmVerdict === 'pass') return result(this, 'pass', `VMM server ${vmmText} is installed (supported).`);
    const supportedVmm = (role.vmmVersions ?? []).map((x) => x.name).join(', ');
    if (vmmVerdict === 'fail' && w?.vmmServer) {
      return result(
        this,
        'fail',
        `VMM server version ${vmmText} is not supported by ${matrix.title} (supported: ${supportedVmm}).`,
        `Upgrade VMM to a supported release (${supportedVmm}) or use a Provider version that supports this one. Source: ${role.source}.`,
      );
    }
    const missing: string[] = [];
    if (wantsHyperV && w?.hyperV == null) missing.push('windows.hyperV');
    if (vmmVerdict === 'unknown') missing.push(w?.vmmServer == null ? 'windows.vmmServer' : 'windows.vmmVersion');
    if (missing.length) return unknownFacts(this, missing, facts);
    const need = [wantsHyperV ? 'the Hyper-V role' : null, wantsVmm ? `a VMM server (${supportedVmm})` : null].filter(Boolean).join(' or ');
    return result(
      this,
      'fail',
      `Neither ${need} is installed on this host.`,
      `${matrix.title} is installed on ${need}. Install the Hyper-V role (\`Install-WindowsFeature -Name Hyper-V -IncludeManagementTools -Restart\`)${wantsVmm ? ', or target the VMM server instead' : ''}. Source: ${role.source}.`,
    );
  },
});

/** Scheme of a proxy string: "http://p:8080" → http; "p:8080" (netsh winhttp form) → http; "direct" → null. */
export function proxyScheme(value: string): string | null {
  const v = value.trim();
  if (v === '' || /direct access|^direct$|^none$/i.test(v)) return null;
  const m = /^([a-z][a-z0-9+.-]*):\/\//i.exec(v);
  if (m) return m[1]!.toLowerCase();
  // netsh winhttp lists "http=host:port;https=host:port" per protocol: the scheme is of the proxy itself.
  const explicit = /(?:^|;)\s*https?=\s*([a-z][a-z0-9+.-]*):\/\//i.exec(v);
  return explicit ? explicit[1]!.toLowerCase() : 'http';
}

export const proxyHttpOnly = defineCheck({
  id: 'proxy-http-only',
  title: 'Proxy is an HTTP proxy',
  families: ['windows'],
  components: ['provider'],
  needs: { windows: ['windows.winHttpProxy'] },
  appliesTo: (m) => m.proxy !== undefined,
  run(facts, matrix, settings) {
    const allowed = matrix.proxy!.schemes;
    const remedy = `${matrix.title} sends proxy traffic over HTTP only (${matrix.proxy!.source}). Use an http:// proxy URL (Azure traffic stays HTTPS through CONNECT), e.g. \`DRConfigurator.exe /r … /proxyAddress http://proxy.example:8080 /proxyport 8080\`.`;
    const configured: [string, string][] = [];
    if (settings.proxyUrl) configured.push(['configured proxy', settings.proxyUrl]);
    else {
      // Without a custom proxy the Provider uses the host's existing settings.
      const winhttp = facts.windows?.winHttpProxy;
      if (winhttp == null) return unknownFacts(this, ['windows.winHttpProxy'], facts);
      configured.push(['WinHTTP proxy', winhttp]);
      if (facts.windows?.agentProxy) configured.push(['agent proxy', facts.windows.agentProxy]);
    }
    const bad = configured.filter(([, v]) => {
      const s = proxyScheme(v);
      return s !== null && !allowed.includes(s as (typeof allowed)[number]);
    });
    if (bad.length)
      return result(
        this,
        'fail',
        `${bad.map(([k, v]) => `${k} ${v} (${proxyScheme(v)})`).join('; ')}: only ${allowed.join('/')} proxies are supported.`,
        remedy,
      );
    const text = configured.map(([k, v]) => (proxyScheme(v) === null ? `${k}: none (direct)` : `${k}: ${v}`)).join('; ');
    return result(this, 'pass', `${text}.`);
  },
});

export const HYPERV_CHECKS: readonly CheckDefinition[] = [hostRole, proxyHttpOnly];
