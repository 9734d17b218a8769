import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/** The pwsh the lab and these checks use (the .NET global tool), or the one on PATH. */
export function findPwsh(): string | null {
  const tool = '/root/.dotnet/tools/pwsh';
  if (process.env.ASR_DEPLOY_PWSH && existsSync(process.env.ASR_DEPLOY_PWSH)) return process.env.ASR_DEPLOY_PWSH;
  if (existsSync(tool)) return tool;
  return spawnSync('pwsh', ['-NoLogo', '-NoProfile', '-Command', 'exit 0']).status === 0 ? 'pwsh' : null;
}

/**
 * Parses each script with pwsh's own parser and walks its AST for what Windows PowerShell 4.0
 * cannot run: `??`/`??=`, ternaries, `&&`/`||` chains, `?.`/`?[]`, `::new`, classes and enums,
 * `using`, and the -AsHashtable / -AsArray / -Parallel parameters. Returns one problem per line.
 */
export function psCompatProblems(pwsh: string, scripts: Record<string, string>): Record<string, string[]> {
  const checker = String.raw`
$in = [Console]::In.ReadToEnd() | ConvertFrom-Json
$out = @{}
foreach ($p in $in.PSObject.Properties) {
  $errs = $null; $tokens = $null
  $ast = [System.Management.Automation.Language.Parser]::ParseInput([string]$p.Value, [ref]$tokens, [ref]$errs)
  $found = New-Object System.Collections.ArrayList
  foreach ($e in @($errs)) { if ($e) { [void]$found.Add("parse error line $($e.Extent.StartLineNumber): $($e.Message)") } }
  $nodes = $ast.FindAll({ $true }, $true)
  foreach ($n in $nodes) {
    $t = $n.GetType().Name
    $line = $n.Extent.StartLineNumber
    if ($t -eq 'TernaryExpressionAst') { [void]$found.Add("line $($line): ternary operator") }
    if ($t -eq 'PipelineChainAst') { [void]$found.Add("line $($line): pipeline chain (&& / ||)") }
    if ($t -eq 'TypeDefinitionAst') { [void]$found.Add("line $($line): class/enum (PowerShell 5)") }
    if ($t -eq 'UsingStatementAst') { [void]$found.Add("line $($line): using statement (PowerShell 5)") }
    if ($t -eq 'BinaryExpressionAst' -and $n.Operator -eq 'QuestionQuestion') { [void]$found.Add("line $($line): ?? operator") }
    if ($t -eq 'AssignmentStatementAst' -and $n.Operator -eq 'QuestionQuestionEquals') { [void]$found.Add("line $($line): ??= operator") }
    if (($t -eq 'MemberExpressionAst' -or $t -eq 'InvokeMemberExpressionAst' -or $t -eq 'IndexExpressionAst') -and $n.NullConditional) { [void]$found.Add("line $($line): null-conditional access") }
    if ($t -eq 'InvokeMemberExpressionAst' -and $n.Static -and $n.Member.Extent.Text -eq 'new') { [void]$found.Add("line $($line): ::new (PowerShell 5)") }
    if ($t -eq 'CommandParameterAst' -and @('AsHashtable', 'AsArray', 'Parallel') -contains $n.ParameterName) { [void]$found.Add("line $($line): -$($n.ParameterName)") }
  }
  $out[$p.Name] = $found.ToArray()
}
ConvertTo-Json -InputObject $out -Depth 4 -Compress
`;
  const r = spawnSync(pwsh, ['-NoLogo', '-NoProfile', '-NonInteractive', '-Command', checker], {
    input: JSON.stringify(scripts),
    encoding: 'utf8',
    timeout: 120_000,
  });
  if (r.status !== 0) throw new Error(`pwsh parse check failed (${r.status}): ${r.stderr}`);
  const parsed = JSON.parse(r.stdout) as Record<string, string[] | string | null>;
  return Object.fromEntries(Object.entries(parsed).map(([k, v]) => [k, v == null ? [] : Array.isArray(v) ? v : [v]]));
}
