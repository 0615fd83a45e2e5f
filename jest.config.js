/** Jest runs TypeScript sources directly (ts-jest, transpile only: `npm run build` type-checks). */
/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: "node",
  roots: [
    "<rootDir>/core/src",
    "<rootDir>/router/src",
    "<rootDir>/broker/src",
    "<rootDir>/controller/src",
    "<rootDir>/cli/src",
    "<rootDir>/console/src",
    "<rootDir>/test/src",
    "<rootDir>/examples",
  ],
  testMatch: ["**/*.test.ts"],
  transform: { "^.+\\.ts$": ["ts-jest", { tsconfig: "tsconfig.jest.json" }] },
  moduleNameMapper: {
    "^@mcp-gateway/(core|router|broker|controller)$": "<rootDir>/$1/src/index.ts",
    "^@mcp-gateway/example-kit$": "<rootDir>/examples/example-kit/src/index.ts",
    "^@mcp-gateway/local-stack$": "<rootDir>/examples/local-stack/src/index.ts",
    "^(\\.{1,2}/.*)\\.js$": "$1",
  },
  testTimeout: 30000,
  maxWorkers: 2,
};
