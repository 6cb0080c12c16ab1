import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules', 'dist', 'data', 'coverage', '.tap', 'examples/**/generated'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'error',
    },
  },
  {
    files: ['scripts/**', 'bench/**', 'test/**'],
    rules: { 'no-console': 'off' },
  },
  // Imports go one way: src ← test/support ← {test, bench, scripts}. What ships (src/, the image)
  // depends on nothing outside src; support code (data generators, record builders, a server
  // process) lives once, in test/support, and depends only on src. Tests may import a script to
  // test it (the OpenAPI compatibility checker, the client and document generators), but not
  // bench/: what a test and a bench both need belongs in test/support. The patterns are relative
  // paths, so each block names the depth its files sit at.
  {
    files: ['src/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ regex: String.raw`^(\.\./)+(test|bench|scripts|examples)(/|$)`, message: 'src ships alone: it imports nothing outside src.' }] },
      ],
      // no-restricted-imports does not see import(): the same rule for a dynamic import.
      'no-restricted-syntax': [
        'error',
        {
          selector: String.raw`ImportExpression[source.value=/^(\.\.\/)+(test|bench|scripts|examples)(\/|$)/]`,
          message: 'src ships alone: it imports nothing outside src.',
        },
      ],
    },
  },
  {
    files: ['test/support/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { regex: String.raw`^\.\./(?!\.\./)`, message: 'test/support imports only src and test/support, never a test or test/helper.ts.' },
            { regex: String.raw`^\.\./\.\./(?!src/)`, message: 'test/support imports only src and test/support, never bench/ or scripts/.' },
          ],
        },
      ],
    },
  },
  {
    files: ['test/**'],
    ignores: ['test/support/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ regex: String.raw`^(\.\./)+bench(/|$)`, message: 'Tests do not import benches: move what both need to test/support.' }] },
      ],
    },
  },
  {
    files: ['bench/**', 'scripts/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ regex: String.raw`^\.\./test/(?!support/)`, message: 'bench/ and scripts/ reuse test code only from test/support.' }] },
      ],
    },
  },
);
