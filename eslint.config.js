// Flat config: typescript-eslint's type-aware rules for the project, plus the architecture rule that keeps
// the sync core (shared/domain, shared/sync) free of SDKs and I/O so it stays a pure, fast, testable planner.
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';

/** Modules the pure core must never import (SPEC §5 "pure sync core with no SDK imports"). */
const forbiddenInCore = [
  {
    group: ['@google-cloud/*', '@googleapis/*', 'googleapis', 'google-auth-library', 'gaxios'],
    message: 'The sync core imports no SDK: put this in shared/adapters.',
  },
  {
    group: ['axios', 'node-fetch', 'undici', 'got', 'superagent', 'ky'],
    message: 'The sync core does no I/O: put HTTP in shared/adapters.',
  },
  {
    group: [
      'node:http',
      'node:https',
      'node:net',
      'node:fs',
      'node:fs/*',
      'node:child_process',
      'http',
      'https',
      'net',
      'fs',
      'fs/*',
      'child_process',
    ],
    message: 'The sync core does no I/O.',
  },
  {
    group: ['**/adapters/**', '**/functions/**', '**/app/**'],
    message: 'The sync core depends only on domain types and ports.',
  },
];

export default defineConfig(
  { ignores: ['node_modules/**', 'build/**', 'coverage/**', '.tmp/**'] },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: { allowDefaultProject: ['*.js', '*.mjs', 'scripts/*.mjs'] },
        tsconfigRootDir: import.meta.dirname,
      },
      globals: {
        process: 'readonly',
        console: 'readonly',
        URL: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
      },
    },
    rules: {
      '@typescript-eslint/restrict-template-expressions': [
        'error',
        { allowNumber: true, allowBoolean: true },
      ],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-restricted-syntax': [
        'error',
        { selector: 'TSEnumDeclaration', message: 'Use an `as const` array and a derived union.' },
      ],
    },
  },
  {
    files: ['shared/domain/**/*.ts', 'shared/sync/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: forbiddenInCore }],
      // The core reads no clock: time is always passed in.
      'no-restricted-properties': [
        'error',
        { object: 'Date', property: 'now', message: 'Pass `now` in: the core reads no clock.' },
      ],
    },
  },
  {
    // The console page (console/): plain browser JavaScript, served as it is, outside the TypeScript project.
    files: ['console/**/*.js'],
    extends: [tseslint.configs.disableTypeChecked],
    languageOptions: {
      sourceType: 'module',
      parserOptions: { projectService: false },
      globals: {
        window: 'readonly',
        document: 'readonly',
        location: 'readonly',
        history: 'readonly',
        sessionStorage: 'readonly',
        fetch: 'readonly',
        FileReader: 'readonly',
        HTMLElement: 'readonly',
        CSS: 'readonly',
        Intl: 'readonly',
        setInterval: 'readonly',
        clearInterval: 'readonly',
        crypto: 'readonly',
        atob: 'readonly',
        TextDecoder: 'readonly',
        URLSearchParams: 'readonly',
      },
    },
  },
  {
    // A test double never shares the code it checks: the simulators are held to the official documents.
    files: ['test/sim/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/shared/**'],
              message:
                'A simulator imports nothing from shared/: it has its own recurrence and time-zone code.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          allowForKnownSafeCalls: [
            { from: 'package', package: 'node:test', name: ['describe', 'it', 'test', 'suite'] },
          ],
        },
      ],
    },
  },
);
