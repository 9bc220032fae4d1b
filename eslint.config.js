// Lint: type-aware typescript-eslint plus the layering rules of DESIGN.md section 3.
import tseslint from 'typescript-eslint';

const ioModules = ['dockerode', 'p-graph', 'listr2', 'chokidar', 'node:child_process', 'child_process'];

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'node_modules/**',
      'src/loader/validator.generated.cjs',
      'bench/**/*.mjs',
      'scripts/**',
      'eslint.config.js',
    ],
  },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-syntax': ['error', { selector: 'ExportDefaultDeclaration', message: 'Use named exports.' }],
    },
  },
  // Type-aware rules on the sources (the tests keep the syntactic set: their fakes are async by
  // contract without awaiting), a complexity cap and the 120-column width prettier formats to
  // (long string literals, comments and URLs excepted: prettier does not split them).
  ...tseslint.configs.recommendedTypeChecked.map((config) => ({ ...config, files: ['src/**/*.ts'] })),
  {
    files: ['src/**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      complexity: ['error', 45],
      // Async functions that do not await are how fakes and dry-run stand-ins keep an interface.
      '@typescript-eslint/require-await': 'off',
      // No line over 120 columns, strings and comments included (prettier cannot break those).
      'max-len': ['error', { code: 120, ignoreUrls: true }],
    },
  },
  // The CLI shim is CommonJS (bin/stack.cjs: an ES module entry point starts slower).
  {
    files: ['bin/*.cjs', 'examples/*.cjs'],
    languageOptions: {
      sourceType: 'commonjs',
      globals: {
        require: 'readonly',
        __dirname: 'readonly',
        process: 'readonly',
        console: 'readonly',
        AbortSignal: 'readonly',
      },
    },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  // Tool config files are read by their tools through a default export.
  { files: ['*.config.ts'], rules: { 'no-restricted-syntax': 'off' } },
  {
    files: ['src/**/*.ts'],
    ignores: ['src/engine/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: ['dockerode', 'node:http', 'node:https', 'node:net', 'http', 'https', 'net'].map((name) => ({
            name,
            message: 'Only src/engine/ talks to dockerd (DESIGN.md section 3): call a named engine function.',
            allowTypeImports: true,
          })),
        },
      ],
    },
  },
  {
    files: ['src/loader/**/*.ts', 'src/planner/**/*.ts', 'src/model.ts', 'src/errors.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { paths: ioModules.map((name) => ({ name, message: 'loader/ and planner/ are pure (DESIGN.md section 3).' })) },
      ],
    },
  },
);
