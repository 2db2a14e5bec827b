import { defineConfig } from "vitest/config";

export default defineConfig({
    test: {
        include: ["test/e2e/**/*.e2e.test.ts"],
        // Steps build on each other on shared hosts: one file, in order, no retries.
        fileParallelism: false,
        sequence: { concurrent: false },
        testTimeout: 1_800_000,
        hookTimeout: 2_400_000,
        pool: "forks",
    },
});
