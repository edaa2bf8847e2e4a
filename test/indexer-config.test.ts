/** The indexer's configuration: defaults, the switch that turns the poller off, and bad values named. */
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../src/config.js";

describe("indexer configuration", () => {
  it("runs the poller by default, with a finality depth of 2 and reconciliation every 5 minutes", () => {
    const config = loadConfig({});
    expect(config.finalityDepth).toBe(2);
    expect(config.indexer).toEqual({ pollerEnabled: true, pollIntervalMs: 1000, blockRange: 1000 });
    expect(config.reconcileIntervalSeconds).toBe(300);
  });

  it("reads the switches and refuses bad values, naming the variable", () => {
    const config = loadConfig({
      INDEXER_POLLER_ENABLED: "false",
      FINALITY_DEPTH: "64",
      RECONCILE_INTERVAL_SECONDS: "0",
      INDEXER_BLOCK_RANGE: "500",
    });
    expect(config).toMatchObject({ finalityDepth: 64, reconcileIntervalSeconds: 0, indexer: { pollerEnabled: false, blockRange: 500 } });
    expect(() => loadConfig({ FINALITY_DEPTH: "-1" })).toThrow(ConfigError);
    expect(() => loadConfig({ INDEXER_POLLER_ENABLED: "no" })).toThrow(/INDEXER_POLLER_ENABLED/);
  });
});
