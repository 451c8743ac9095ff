import js from '@eslint/js';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';
import importX from 'eslint-plugin-import-x';
import tseslint from 'typescript-eslint';

/**
 * Layers of src/, earliest first: a module may import from its own layer and earlier ones, never from a later one.
 * model → odata (parse, bind, plan) → sql (compile) → db → serialize → ingest → http → app/server/main.
 */
const LAYER_ZONES = [
  { target: './src/model', from: ['./src/odata', './src/sql', './src/serialize', './src/ingest', './src/http', './src/app.ts', './src/server.ts', './src/main.ts'] },
  { target: './src/odata', from: ['./src/sql', './src/db.ts', './src/serialize', './src/ingest', './src/http', './src/app.ts', './src/server.ts', './src/main.ts'] },
  // Within odata/: parse, then bind, then plan.
  { target: ['./src/odata/parse-*.ts', './src/odata/lexer.ts', './src/odata/ast.ts'], from: './src/odata/bind-*.ts' },
  { target: ['./src/odata/parse-*.ts', './src/odata/lexer.ts', './src/odata/ast.ts'], from: ['./src/odata/plan.ts', './src/odata/order-keys.ts'] },
  { target: './src/odata/bind-*.ts', from: './src/odata/plan.ts' },
  { target: './src/sql', from: ['./src/db.ts', './src/serialize', './src/ingest', './src/http', './src/app.ts', './src/server.ts', './src/main.ts'] },
  { target: './src/db.ts', from: ['./src/odata', './src/serialize', './src/ingest', './src/http', './src/app.ts', './src/server.ts', './src/main.ts'] },
  { target: './src/serialize', from: ['./src/sql', './src/ingest', './src/http', './src/app.ts', './src/server.ts', './src/main.ts'] },
  { target: './src/ingest', from: ['./src/odata', './src/serialize', './src/http', './src/app.ts', './src/server.ts', './src/main.ts'] },
  { target: './src/http', from: ['./src/app.ts', './src/server.ts', './src/main.ts'] },
  { target: './src/context.ts', from: ['./src/http', './src/app.ts', './src/server.ts', './src/main.ts'] },
].map((zone) => ({ ...zone, message: 'Imports run one way through the layers (see eslint.config.mjs and the README architecture section).' }));

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'coverage/', 'data/', 'test-output/', 'public/vendor/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-constant-condition': ['error', { checkLoops: false }],
    },
  },
  {
    files: ['src/**/*.ts'],
    plugins: { 'import-x': importX },
    settings: {
      'import-x/extensions': ['.ts', '.js'],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts'] },
      'import-x/resolver-next': [createTypeScriptImportResolver({ project: './tsconfig.json' })],
    },
    rules: {
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
      'import-x/no-restricted-paths': ['error', { zones: LAYER_ZONES }],
    },
  },
  {
    files: ['**/*.js', '**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: { module: 'writable', require: 'readonly', __dirname: 'readonly', process: 'readonly' } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
