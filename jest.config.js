/** @type {import('jest').Config} */
module.exports = {
  preset: 'ts-jest',
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // The build's output (npm run build) is neither tests nor modules to resolve.
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/dist/'],
  modulePathIgnorePatterns: ['<rootDir>/dist/'],
  // Same key as the ts-jest preset, so this replaces its transform rather than adding a second one.
  // isolatedModules via the tsconfig override (the ts-jest option of that name is deprecated in 29.x):
  // per-file transpilation, no type-check in jest — `npm run typecheck` does that.
  transform: {
    '^.+\\.tsx?$': ['ts-jest', { tsconfig: { isolatedModules: true } }],
  },
  globalSetup: '<rootDir>/test/global-setup.ts',
  testTimeout: 60_000,
};
