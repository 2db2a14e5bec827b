import { defineConfig } from "vitest/config";

export default defineConfig({
    test: {
        include: ["test/unit/**/*.test.ts"],
        testTimeout: 60_000,
        hookTimeout: 60_000,
        // Each file installs its own Pulumi mocks; isolate them.
        pool: "forks",
    },
});
