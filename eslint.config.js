import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'coverage/', 'node_modules/', 'reports/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', setImmediate: 'readonly', Buffer: 'readonly', URL: 'readonly', performance: 'readonly', AbortController: 'readonly', AbortSignal: 'readonly', fetch: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      eqeqeq: ['error', 'always'],
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
      'no-console': 'error',
    },
  },
  {
    // DESIGN.md §2: hosts/azure is the only value import of `app` from @azure/functions.
    files: ['src/**/*.ts'],
    ignores: ['src/hosts/azure/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        { paths: [{ name: '@azure/functions', importNames: ['app'], message: 'Only hosts/azure registers functions (DESIGN.md §2).' }] },
      ],
    },
  },
  {
    // The core reads no clock and no environment: time and settings are arguments.
    files: ['src/domain/**/*.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        { selector: "CallExpression[callee.object.name='Date'][callee.property.name='now']", message: 'The core takes `now` as an argument.' },
        { selector: "NewExpression[callee.name='Date'][arguments.length=0]", message: 'The core takes `now` as an argument.' },
        { selector: "MemberExpression[object.name='process']", message: 'The core does not read process state.' },
      ],
    },
  },
  {
    // Fakes over mocks: inject through buildDeps(settings, overrides), never vi.mock a module.
    files: ['test/**/*.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        { selector: "CallExpression[callee.object.name='vi'][callee.property.name=/^(mock|doMock)$/]", message: 'Inject a fake instead of mocking a module (DESIGN.md §4).' },
      ],
    },
  },
  {
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: { module: 'writable', require: 'readonly' } },
  },
  {
    files: ['src/cli/**/*.ts', 'bench/**/*.js'],
    rules: { 'no-console': 'off' },
  },
);
