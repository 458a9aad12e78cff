// ESLint's recommended rules over the pages (web/**/*.js) and the JavaScript
// tests (tests/**/*.mjs), with Node and browser globals. Paths are relative
// to the repository root: run it from there, as tests/style/eslint.sh and
// `make lint` do:
//   web/node_modules/.bin/eslint -c web/eslint.config.js --max-warnings 0 web tests
import js from '@eslint/js';
import globals from 'globals';

export default [
  { ignores: ['**/node_modules/**', 'build*/**'] },
  {
    ...js.configs.recommended,
    files: ['web/**/*.js', 'web/**/*.mjs', 'tests/**/*.mjs', 'tests/**/*.js'],
    languageOptions: {
      ecmaVersion: 2023,
      sourceType: 'module',
      globals: { ...globals.node, ...globals.browser },
    },
  },
];
