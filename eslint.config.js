import js from '@eslint/js';
import boundaries from 'eslint-plugin-boundaries';
import tseslint from 'typescript-eslint';

/**
 * The layers of docs/ARCHITECTURE.md, checked on every import (eslint-plugin-boundaries):
 *
 *   front ends  cli, electron, server        (peers: none imports another, except `serve` hosting the server)
 *   service     service/ (contract, call boundary, handlers)
 *   features    discovery, facts, checks (pure: model only), components, deploy, proxy, updates, reports
 *   infra       remote, store                (peers: neither imports the other)
 *   model       model/                        (imports nothing of ours)
 *
 * A layer imports its own layer's folders and the layers below it, never one above. The renderer
 * (src-renderer/) imports only itself, plus types from the service contract.
 */
const LAYERS = {
  cli: ['cli', 'server', 'service', 'feature', 'checks', 'remote', 'store', 'model'],
  electron: ['electron', 'service', 'feature', 'checks', 'remote', 'store', 'model'],
  server: ['server', 'service', 'feature', 'checks', 'remote', 'store', 'model'],
  service: ['service', 'feature', 'checks', 'remote', 'store', 'model'],
  feature: ['feature', 'checks', 'remote', 'store', 'model'],
  checks: ['checks', 'model'],
  remote: ['remote', 'model'],
  store: ['store', 'model'],
  model: ['model'],
  renderer: ['renderer'],
};
const FEATURES = ['discovery', 'facts', 'components', 'deploy', 'proxy', 'updates', 'reports'];

const boundaryRules = {
  plugins: { boundaries },
  files: ['src-main/**/*.ts', 'src-renderer/**/*.ts'],
  settings: {
    'boundaries/include': ['src-main/**', 'src-renderer/**'],
    'boundaries/elements': [
      { type: 'cli', pattern: 'src-main/cli', partialMatch: false },
      { type: 'electron', pattern: 'src-main/electron', partialMatch: false },
      { type: 'server', pattern: 'src-main/server', partialMatch: false },
      { type: 'service', pattern: 'src-main/service', partialMatch: false },
      { type: 'checks', pattern: 'src-main/checks', partialMatch: false },
      ...FEATURES.map((name) => ({ type: 'feature', pattern: `src-main/${name}`, partialMatch: false })),
      { type: 'remote', pattern: 'src-main/remote', partialMatch: false },
      { type: 'store', pattern: 'src-main/store', partialMatch: false },
      { type: 'model', pattern: 'src-main/model', partialMatch: false },
      { type: 'renderer', pattern: 'src-renderer', partialMatch: false },
    ],
    // The contract (commands, results, events): the part of the service a renderer may see.
    'boundaries/files': [
      { category: 'contract', pattern: 'src-main/service/contract.ts' },
      { category: 'contract', pattern: 'src-main/service/contract/**' },
    ],
  },
  rules: {
    'boundaries/dependencies': [
      'error',
      {
        default: 'disallow',
        message: 'Dependencies point down (docs/ARCHITECTURE.md, "Layers"): {{from.type}} may not import {{to.type}}.',
        policies: [
          ...Object.entries(LAYERS).map(([from, to]) => ({ from: { element: { type: from } }, allow: { to: { element: { types: { anyOf: to } } } } })),
          // The renderer sees the service only as types, through the contract.
          { from: { element: { type: 'renderer' } }, allow: { to: { file: { categories: 'contract' } }, dependency: { kind: 'type' } } },
        ],
      },
    ],
    // Every file of ours belongs to a layer: a new top-level folder has to be placed in one.
    'boundaries/no-unknown-files': 'error',
  },
};

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', 'out/**', '.lab/**', 'test/artifacts/**', 'src-renderer/**/*.svelte'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        Buffer: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        setInterval: 'readonly',
        clearInterval: 'readonly',
        URL: 'readonly',
        AbortController: 'readonly',
        AbortSignal: 'readonly',
        fetch: 'readonly',
        TextEncoder: 'readonly',
        TextDecoder: 'readonly',
      },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  boundaryRules,
);
