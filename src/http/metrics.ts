/**
 * Prometheus metrics (prom-client), one registry per gateway: GraphQL request durations per
 * operation, the mint queue's depth and oldest job age (read from Postgres at scrape time,
 * so every process reports the shared queue), the gauges domains register (the last
 * reconciliation's drift, indexer/metrics.ts), and Node's default process metrics.
 */
import { Counter, Histogram, Gauge, Registry, collectDefaultMetrics } from "prom-client";
import type { ApolloServerPlugin } from "@apollo/server";
import { and, count, eq, min } from "drizzle-orm";
import type { Database } from "../db/index.js";
import type { ChainClients, RpcObserver } from "../chain/client.js";
import { job } from "../queue/table.js";

export type GatewayMetrics = {
  registry: Registry;
  /** Apollo plugin recording each operation's duration and outcome. */
  apolloPlugin: ApolloServerPlugin<any>;
  /** Counts one chain-webhook answer by its HTTP status. */
  webhookAnswered(status: number): void;
  /** Stops observing the chain client. */
  dispose(): void;
};

const WEBHOOK_OUTCOMES: Record<number, string> = {
  202: "accepted",
  200: "duplicate",
  401: "rejected_signature",
  400: "rejected_payload",
  413: "rejected_size",
};

/** What the in-process mint worker last met (see MintWorker.health); absent when it runs elsewhere. */
export type WorkerHealthProbe = () => { ok: boolean; lostLeases: number };

/** Registers a domain's gauges on the gateway's registry (this module knows no domain). */
export type RegisterGauges = (registry: Registry) => void;

export function createMetrics(
  db: Database,
  chain: ChainClients,
  workerHealth?: WorkerHealthProbe,
  domainGauges: RegisterGauges[] = [],
): GatewayMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });

  const duration = new Histogram({
    name: "graphql_request_duration_seconds",
    help: "GraphQL request duration, by operation name and outcome",
    labelNames: ["operation", "outcome"] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });

  const queueState = async (queue: string) => {
    const [row] = await db
      .select({ depth: count(), oldest: min(job.createdAt) })
      .from(job)
      .where(and(eq(job.queue, queue)));
    return { depth: Number(row?.depth ?? 0), oldest: row?.oldest ? new Date(row.oldest as unknown as string) : undefined };
  };
  new Gauge({
    name: "mint_queue_depth",
    help: "Mint jobs waiting or in progress (shared across all processes)",
    registers: [registry],
    async collect() {
      this.set((await queueState("mint")).depth);
    },
  });
  new Gauge({
    name: "mint_queue_oldest_age_seconds",
    help: "Age of the oldest mint job, 0 when the queue is empty",
    registers: [registry],
    async collect() {
      const { oldest } = await queueState("mint");
      this.set(oldest ? Math.max(0, (Date.now() - oldest.getTime()) / 1000) : 0);
    },
  });

  // Gauges a domain reads at scrape time (the reconciliation's drift: indexer/metrics.ts).
  for (const register of domainGauges) register(registry);

  const rpcDuration = new Histogram({
    name: "chain_rpc_duration_seconds",
    help: "JSON-RPC call duration (retries included), by method and outcome",
    labelNames: ["method", "outcome"] as const,
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5, 15],
    registers: [registry],
  });
  const observeRpc: RpcObserver = (method, seconds, ok) => rpcDuration.observe({ method, outcome: ok ? "ok" : "error" }, seconds);
  chain.rpcObservers.add(observeRpc);

  const webhookDeliveries = new Counter({
    name: "webhook_deliveries_total",
    help: "Chain-indexer webhook deliveries, by outcome (accepted, duplicate, rejected_signature, rejected_payload, …)",
    labelNames: ["outcome"] as const,
    registers: [registry],
  });

  if (workerHealth) {
    new Gauge({
      name: "mint_worker_healthy",
      help: "1 while the in-process mint worker's loop succeeds, 0 while the database or chain keeps failing it (the cause is in /readyz and the logs)",
      registers: [registry],
      collect() {
        this.set(workerHealth().ok ? 1 : 0);
      },
    });
    new Gauge({
      name: "mint_worker_lost_leases",
      help: "Times the in-process mint worker found its lease taken (paused past it) and changed nothing",
      registers: [registry],
      collect() {
        this.set(workerHealth().lostLeases);
      },
    });
  }

  const apolloPlugin: ApolloServerPlugin<any> = {
    async requestDidStart() {
      const stop = duration.startTimer();
      return {
        async willSendResponse(ctx) {
          const operation = ctx.operationName ?? ctx.operation?.name?.value ?? "anonymous";
          stop({ operation, outcome: ctx.errors?.length ? "error" : "ok" });
        },
      };
    },
  };
  return {
    registry,
    apolloPlugin,
    webhookAnswered: (status) => webhookDeliveries.inc({ outcome: WEBHOOK_OUTCOMES[status] ?? `status_${status}` }),
    dispose: () => chain.rpcObservers.delete(observeRpc),
  };
}
