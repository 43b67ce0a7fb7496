import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['index.test.ts', '{emulator,soc,dma,devices,traces,bench}/**/*.test.ts'],
    environment: 'node',
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 60_000,
    env: { DMASIM_LOG: 'silent' },
  },
});
