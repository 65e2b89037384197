const { exports: subpaths } = require('./package.json');

/**
 * `torsion` and `torsion/<subpath>` resolve to the sources, as tsconfig.json's
 * `paths` do for tsc and tsx: examples import the package as a user would.
 * Built from package.json's exports, so a new subpath needs no entry here.
 */
const moduleNameMapper = {};
for (const [key, target] of Object.entries(subpaths)) {
  if (typeof target !== 'object') continue;
  const name = key === '.' ? 'torsion' : `torsion/${key.slice(2)}`;
  const source = target.default.replace(/^\.\/dist\//, '<rootDir>/src/').replace(/\.js$/, '.ts');
  moduleNameMapper[`^${name.replace(/[/.]/g, '\\$&')}$`] = source;
}

/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/spec'],
  testMatch: ['**/*.spec.ts'],
  transform: { '^.+\\.tsx?$': ['ts-jest', { tsconfig: 'tsconfig.json' }] },
  moduleNameMapper,
  testTimeout: 20000,
};
