// ESLint: the recommended JavaScript and typescript-eslint rules (syntax only, no type information:
// tsc --noEmit checks types), on every script of the repository. Run by `npm run lint` (npm test's pretest).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'test-results/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  { languageOptions: { globals: { ...globals.node } } },
  // The dashboard runs in the browser.
  { files: ['web/**/*.js'], languageOptions: { globals: { ...globals.browser } } },
  {
    rules: {
      // `_`-prefixed names are kept on purpose (a parameter a signature needs, a destructured field left out).
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none', ignoreRestSiblings: true },
      ],
    },
  },
);
