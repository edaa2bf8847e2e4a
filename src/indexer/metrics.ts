/**
 * The last reconciliation's drift as Prometheus gauges, read from its stored run at scrape
 * time, so a run by any process or the CLI shows at once. Registered on the gateway's
 * registry by http/server.ts (http/metrics.ts knows no domain).
 */
import { Gauge, type Registry } from "prom-client";
import type { Database } from "../db/index.js";
import type { ChainClients } from "../chain/client.js";
import { lastReconciliation, overMintedByToken } from "./reconcile.js";

export function reconciliationGauges(db: Database, chain: ChainClients) {
  return (registry: Registry): void => {
    const lastRun = () => lastReconciliation({ db, chain });
    new Gauge({
      name: "reconciliation_drift_entries",
      help: "Drift entries of the last reconciliation run, by token and kind (CAP_TABLE_LAG, OVER_MINTED, UNDER_MINTED, UNRECORDED_BURN, FORCED_TRANSFER_MISMATCH)",
      labelNames: ["token", "kind"] as const,
      registers: [registry],
      async collect() {
        // Reset first: a token that no longer drifts must drop out, not keep its last count.
        this.reset();
        const run = await lastRun();
        const counts = new Map<string, { token: string; kind: string; n: number }>();
        for (const d of run?.drift ?? []) {
          const key = `${d.tokenAddress}:${d.kind}`;
          const entry = counts.get(key) ?? { token: d.tokenAddress, kind: d.kind, n: 0 };
          entry.n++;
          counts.set(key, entry);
        }
        for (const c of counts.values()) this.set({ token: c.token, kind: c.kind }, c.n);
      },
    });
    new Gauge({
      name: "reconciliation_over_minted_base_units",
      help: "Base units a token's totalSupply exceeds the registry's CONFIRMED mints by, in the last reconciliation run (only tokens over-minted; a float: exact up to 2^53)",
      labelNames: ["token"] as const,
      registers: [registry],
      async collect() {
        this.reset();
        const run = await lastRun();
        if (!run) return;
        for (const [token, amount] of overMintedByToken(run)) this.set({ token }, Number(amount));
      },
    });
    new Gauge({
      name: "reconciliation_last_run_timestamp_seconds",
      help: "When the last reconciliation run finished (0: none yet)",
      registers: [registry],
      async collect() {
        const run = await lastRun();
        this.set(run?.finishedAt ? new Date(run.finishedAt).getTime() / 1000 : 0);
      },
    });
    new Gauge({
      name: "reconciliation_last_run_ok",
      help: "1 when the last reconciliation run found no drift and no error, 0 otherwise or before the first run",
      registers: [registry],
      async collect() {
        const run = await lastRun();
        this.set(run && run.drift.length === 0 && !run.error ? 1 : 0);
      },
    });
  };
}
