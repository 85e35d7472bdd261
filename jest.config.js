/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/spec'],
  testMatch: ['**/*.spec.ts'],
  transform: {
    // Transpile only: `npm test` type-checks everything with tsc before jest runs.
    '^.+\\.ts$': [
      'ts-jest',
      {
        tsconfig: {
          target: 'ES2022',
          module: 'CommonJS',
          moduleResolution: 'Node10',
          esModuleInterop: true,
          isolatedModules: true,
          sourceMap: true,
        },
      },
    ],
  },
  moduleNameMapper: {
    '^poll-task$': '<rootDir>/lib/index.ts',
    '^poll-task/(http|testing)$': '<rootDir>/lib/$1/index.ts',
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  // The test helpers bound every wait; a test that still hangs is a bug to see, not to wait for.
  testTimeout: 20000,
};
