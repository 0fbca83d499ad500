// ESLint flat config. Type-aware rules everywhere; workflow code additionally may not touch Node built-ins or
// I/O libraries, because it runs inside Temporal's deterministic sandbox and is replayed from history.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const nodeBuiltins = [
  'assert',
  'async_hooks',
  'buffer',
  'child_process',
  'cluster',
  'console',
  'crypto',
  'dgram',
  'dns',
  'events',
  'fs',
  'fs/promises',
  'http',
  'http2',
  'https',
  'inspector',
  'module',
  'net',
  'os',
  'path',
  'perf_hooks',
  'process',
  'querystring',
  'readline',
  'repl',
  'stream',
  'stream/promises',
  'string_decoder',
  'timers',
  'timers/promises',
  'tls',
  'tty',
  'url',
  'util',
  'v8',
  'vm',
  'worker_threads',
  'zlib',
];

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'node_modules/**',
      '.tools/**',
      'bench/data/**',
      'bin/**',
      'eslint.config.js',
      'test/fixtures/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': [
        'error',
        // node:test's test()/describe() return promises the runner itself tracks.
        {
          allowForKnownSafeCalls: [
            { from: 'package', package: 'node:test', name: ['test', 'it', 'describe', 'suite'] },
          ],
        },
      ],
      // Activities are async by contract even when a body happens not to await.
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    // Workflow code and the pure module it imports: deterministic, replayable, no I/O.
    files: ['workflows/**/*.ts', 'common/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            ...nodeBuiltins.flatMap((m) => [
              { name: m, message: 'Workflow code is replayed: Node built-ins are not allowed here.' },
              {
                name: `node:${m}`,
                message: 'Workflow code is replayed: Node built-ins are not allowed here.',
              },
            ]),
            ...[
              'undici',
              '@aws-sdk/client-s3',
              '@aws-sdk/lib-storage',
              '@temporalio/activity',
              '@temporalio/worker',
              '@temporalio/client',
            ].map((name) => ({
              name,
              message: 'Workflow code must not do I/O: call an activity instead.',
            })),
          ],
          patterns: [
            { group: ['node:*'], message: 'Workflow code is replayed: Node built-ins are not allowed here.' },
            {
              group: [
                '**/activities/*',
                '**/activities',
                '**/lib/*',
                '**/lib/**',
                '**/client/*',
                '**/worker/*',
                '**/devserver/*',
              ],
              allowTypeImports: true,
              message: 'Workflow code may import activities as types only.',
            },
          ],
        },
      ],
      'no-restricted-globals': [
        'error',
        { name: 'process', message: 'No process state in workflow code.' },
        { name: 'setImmediate', message: 'Use the SDK sleep().' },
        { name: 'Buffer', message: 'No Node Buffer in workflow code.' },
      ],
    },
  },
  {
    // Data flows one way: CLI → client helpers → workflow → activities → node-side libraries (lib/) → buckets.
    // Nothing below the CLI may reach back up into it.
    files: ['activities/**/*.ts', 'lib/**/*.ts', 'worker/**/*.ts', 'devserver/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['../client/*', '../../client/*', '../client', '../../client'],
              message:
                'activities/, lib/, worker/ and devserver/ must not import the CLI (client/): no upward imports.',
            },
          ],
        },
      ],
    },
  },
);
