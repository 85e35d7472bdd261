/** @type {import('jest').Config} */
const transpileOnly = {
  // Transpile only: `npm test` type-checks everything with tsc before jest runs.
  tsconfig: {
    target: 'ES2022',
    module: 'CommonJS',
    moduleResolution: 'Node10',
    esModuleInterop: true,
    isolatedModules: true,
    experimentalDecorators: true,
    sourceMap: true,
  },
};

const moduleNameMapper = {
  '^poll-task$': '<rootDir>/lib/index.ts',
  '^poll-task/(http|testing|angular)$': '<rootDir>/lib/$1/index.ts',
  '^(\\.{1,2}/.*)\\.js$': '$1',
};

module.exports = {
  // The test helpers bound every wait; a test that still hangs is a bug to see, not to wait for.
  testTimeout: 20000,
  projects: [
    {
      displayName: 'node',
      testEnvironment: 'node',
      roots: ['<rootDir>/spec'],
      testMatch: ['**/*.spec.ts'],
      testPathIgnorePatterns: ['/node_modules/', '<rootDir>/spec/angular/'],
      transform: { '^.+\\.ts$': ['ts-jest', transpileOnly] },
      moduleNameMapper,
    },
    {
      // Angular's TestBed in jsdom, through jest-preset-angular (which also turns Angular's ESM into CommonJS).
      displayName: 'angular',
      preset: 'jest-preset-angular',
      testEnvironment: 'jsdom',
      roots: ['<rootDir>/spec/angular'],
      testMatch: ['**/*.spec.ts'],
      setupFilesAfterEnv: ['<rootDir>/spec/angular/setup.ts'],
      transform: {
        '^.+\\.(ts|js|mjs|html|svg)$': ['jest-preset-angular', { tsconfig: '<rootDir>/spec/angular/tsconfig.json', stringifyContentPathRegex: '\\.(html|svg)$' }],
      },
      transformIgnorePatterns: ['node_modules/(?!.*\\.mjs$)'],
      moduleNameMapper,
    },
  ],
};
