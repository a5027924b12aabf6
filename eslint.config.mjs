import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', '.temporal/**', '.data/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.js'],
    languageOptions: { sourceType: 'commonjs', globals: { require: 'readonly', module: 'writable', process: 'readonly', console: 'readonly', __dirname: 'readonly' } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    files: ['workflows/**/*.ts'],
    rules: {
      // Workflows are bundled and replayed: no I/O. Activities may be imported for their types only.
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['node:*', 'fs', 'http', 'https', 'undici', 'pino', 'fastify', '../connectors/*/client', '../connectors/*/simulator*', '../common/http', '../common/logger', '../common/config'], message: 'Workflow code is deterministic: no I/O.' },
            { group: ['../activities/*', '../activities'], allowTypeImports: true, message: 'Call activities through proxyActivities; import their types only.' },
          ],
        },
      ],
      'no-restricted-properties': ['error', { object: 'Date', property: 'now', message: 'Workflows are deterministic: use workflow time.' }, { object: 'Math', property: 'random', message: 'Workflows are deterministic.' }],
    },
  },
  { rules: { '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', ignoreRestSiblings: true }] } },
);
