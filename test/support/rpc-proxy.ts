/**
 * A JSON-RPC proxy in front of a real node that behaves like one backend of a load-balanced
 * provider lagging a few blocks behind: while `lagging`, receipt lookups answer "none"
 * (optionally after a delay), while every other call (nonce counts, blocks, broadcasts)
 * reaches the current node. With `refuseBroadcasts` it is a node that refuses every raw
 * transaction (as one would for insufficient funds). Nothing else is changed.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";

export type RpcProxy = {
  url: string;
  /** Receipt lookups answer null while true. */
  lagging: boolean;
  /** Delay before a hidden receipt answers (a slow backend), in ms. */
  lagDelayMs: number;
  /**
   * While set, the proxy is a node stuck at this block: the head, the latest block and nonce
   * counts are those of this block, and no receipt is found. Broadcasts still reach the node.
   */
  behindAt: bigint | undefined;
  /** eth_sendRawTransaction answers an error and reaches no node while true. */
  refuseBroadcasts: boolean;
  /** How many receipt lookups were answered "none" by the proxy. */
  hiddenReceipts: number;
  close(): Promise<void>;
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

type Call = { jsonrpc: string; id: unknown; method: string; params?: unknown[] };

export async function startRpcProxy(target: string, options: { port?: number } = {}): Promise<RpcProxy> {
  const state = { lagging: false, lagDelayMs: 0, hiddenReceipts: 0, refuseBroadcasts: false, behindAt: undefined as bigint | undefined };
  const forward = async (call: Call): Promise<unknown> => {
    const response = await fetch(target, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(call) });
    return response.json();
  };
  const stuckAt = (call: Call): Promise<unknown> | undefined => {
    const at = state.behindAt;
    if (at === undefined) return undefined;
    const hex = `0x${at.toString(16)}`;
    const latest = (tag: unknown) => tag === "latest" || tag === "pending" || tag === undefined;
    if (call.method === "eth_blockNumber") return Promise.resolve({ jsonrpc: "2.0", id: call.id, result: hex });
    if (call.method === "eth_getTransactionReceipt") {
      state.hiddenReceipts++;
      return sleep(state.lagDelayMs).then(() => ({ jsonrpc: "2.0", id: call.id, result: null }));
    }
    if (call.method === "eth_getTransactionCount" && latest(call.params?.[1])) return forward({ ...call, params: [call.params![0], hex] });
    if (call.method === "eth_getBlockByNumber" && latest(call.params?.[0]))
      return forward({ ...call, params: [hex, ...(call.params ?? []).slice(1)] });
    return undefined;
  };
  const answer = async (call: Call): Promise<unknown> => {
    const stuck = stuckAt(call);
    if (stuck) return stuck;
    if (state.lagging && call.method === "eth_getTransactionReceipt") {
      state.hiddenReceipts++;
      if (state.lagDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, state.lagDelayMs));
      return { jsonrpc: "2.0", id: call.id, result: null };
    }
    if (state.refuseBroadcasts && call.method === "eth_sendRawTransaction") {
      return { jsonrpc: "2.0", id: call.id, error: { code: -32000, message: "refused by the test proxy" } };
    }
    return forward(call);
  };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      void (async () => {
        try {
          const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as Call | Call[];
          const result = Array.isArray(body) ? await Promise.all(body.map(answer)) : await answer(body);
          res.writeHead(200, { "content-type": "application/json" });
          res.end(JSON.stringify(result));
        } catch (error) {
          res.writeHead(502);
          res.end(String(error));
        }
      })();
    });
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return Object.assign(state, {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  }) as RpcProxy;
}
