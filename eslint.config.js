// ESLint with type information: floating promises and misused promises are
// bugs in a program that streams files and must never lose a write.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// The layers (see docs/DESIGN-NOTES.md): what each folder of src/ may import.
// core/ is pure; the I/O edges (source, archive, destinations, state) never
// reach up to the services; the services never reach the facade; the front
// ends (cli, server, web, scheduler) see only the facade and public types.
// Paths as an import names them from a folder right under src/ (../x).
const FRONT_ENDS = ['../cli/*', '../server/*', '../web/*', '../scheduler/*', '../host.js'];
const FACADE = ['../center.js', '../index.js'];
// What core/ may never import: it does no I/O.
const IO_MODULES = [
  'node:fs',
  'node:fs/*',
  'node:child_process',
  'node:net',
  'node:http',
  'node:https',
  'node:os',
  'node:worker_threads',
  'better-sqlite3-multiple-ciphers',
  '@aws-sdk/*',
];
const layer = (files, groups, message) => ({
  files,
  rules: { 'no-restricted-imports': ['error', { patterns: [{ group: groups, message }] }] },
});
const INTERNALS = [
  'core',
  'source',
  'archive',
  'destinations',
  'state',
  'services',
  'restore',
  'fiscal',
];
const internalsFrom = (depth) => [...INTERNALS.map((d) => `${depth}${d}/*`), `${depth}center.js`];

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'demo/', 'bench/data/', 'eslint.config.js'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          // node:test registers these synchronously; their promises are the runner's.
          allowForKnownSafeCalls: [
            { from: 'package', package: 'node:test', name: ['describe', 'it', 'test', 'suite'] },
          ],
        },
      ],
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
    },
  },
  {
    // Tests read the CLI's --json output, which is untyped by nature.
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-explicit-any': 'off',
    },
  },
  layer(
    ['src/core/*.ts'],
    ['../*', ...IO_MODULES],
    'core/ is pure: no I/O, and it imports only core/.',
  ),
  layer(
    ['src/core/*/*.ts'],
    ['../../*', ...IO_MODULES],
    'core/ is pure: no I/O, and it imports only core/.',
  ),
  layer(
    ['src/source/**/*.ts', 'src/archive/**/*.ts', 'src/destinations/**/*.ts', 'src/state/**/*.ts'],
    ['../services/*', '../restore/*', '../fiscal/*', ...FACADE, ...FRONT_ENDS],
    'The I/O edges (source, archive, destinations, state) never import services, the facade or a front end.',
  ),
  layer(
    ['src/services/**/*.ts', 'src/restore/**/*.ts', 'src/fiscal/**/*.ts'],
    [...FACADE, ...FRONT_ENDS],
    'A service gets what it uses through its constructor: it never imports the facade or a front end.',
  ),
  layer(
    ['src/cli/*.ts', 'src/scheduler/*.ts', 'src/server/*.ts', 'src/web/*.ts'],
    internalsFrom('../'),
    'Front ends import only the facade and public types (src/index.ts), the host bootstrap and other front ends.',
  ),
  layer(
    ['src/cli/*/*.ts', 'src/server/*/*.ts', 'src/web/*/*.ts'],
    internalsFrom('../../'),
    'Front ends import only the facade and public types (src/index.ts), the host bootstrap and other front ends.',
  ),
  {
    // Only the host bootstrap and the CLI's entry point touch the process.
    files: ['src/**/*.ts'],
    ignores: ['src/host.ts', 'src/cli/main.ts'],
    rules: {
      'no-restricted-properties': [
        'error',
        { object: 'process', property: 'env', message: 'Read the environment in src/host.ts.' },
        { object: 'process', property: 'exit', message: 'Only src/cli/main.ts ends the process.' },
      ],
    },
  },
);
