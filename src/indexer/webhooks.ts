/**
 * `POST /webhooks/chain`: the INDEXER side. The handler reads the raw bytes itself, checks
 * the HMAC over exactly those bytes (constant-time), writes the delivery to the inbox and
 * answers 202; applying happens from the inbox. Two signature formats:
 *  - the gateway's own: `X-Timestamp: <unix seconds>` and `X-Signature: sha256=<hex HMAC-SHA256
 *    of "<timestamp>.<raw body>">`, refused when the timestamp is more than 5 minutes off or
 *    the signature was seen before (replay);
 *  - Alchemy's: `X-Alchemy-Signature: <hex HMAC-SHA256 of the raw body>`, with its Address
 *    Activity or Custom (GraphQL) webhook payload. Alchemy redelivers with the same event id:
 *    a redelivery is acknowledged and stored once.
 * A bad or missing signature answers 401 and nothing is stored.
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { z } from "zod";
import type { Hex } from "viem";
import type { ServiceContext } from "../context.js";
import { BaseError } from "../errors.js";
import { readBody, sendError, sendJson } from "../edge/http.js";
import { webhookDelivery, type WebhookFormat } from "./table.js";
import type { RawLog } from "./events.js";

/** How far a gateway-format timestamp may be from our clock, either way. */
export const SIGNATURE_TOLERANCE_SECONDS = 300;

/** A delivery whose signature did not verify; answered 401. */
export class WebhookSignatureError extends BaseError {
  readonly code = "WEBHOOK_SIGNATURE_INVALID";
  override name = "WebhookSignatureError";
}

const hmacHex = (secret: string, ...parts: (string | Buffer)[]) => {
  const mac = createHmac("sha256", secret);
  for (const part of parts) mac.update(part);
  return mac.digest("hex");
};

/** Constant-time equality of two hex digests (a different length is simply unequal). */
function sameDigest(expectedHex: string, givenHex: string): boolean {
  if (!/^[0-9a-fA-F]+$/.test(givenHex)) return false;
  const expected = Buffer.from(expectedHex, "hex");
  const given = Buffer.from(givenHex, "hex");
  return expected.length === given.length && timingSafeEqual(expected, given);
}

/**
 * Signs a body in the gateway's own format (what an indexer sending to us does).
 * @example const headers = signGatewayDelivery(secret, body, Math.floor(Date.now() / 1000));
 */
export function signGatewayDelivery(secret: string, body: string | Buffer, timestamp: number): Record<string, string> {
  return { "x-timestamp": String(timestamp), "x-signature": `sha256=${hmacHex(secret, `${timestamp}.`, body)}` };
}

/** Signs a body as Alchemy does. */
export function signAlchemyDelivery(secret: string, body: string | Buffer): Record<string, string> {
  return { "x-alchemy-signature": hmacHex(secret, body) };
}

const header = (headers: IncomingMessage["headers"], name: string) => {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
};

/**
 * Verifies a delivery's signature over its raw bytes. Returns the format and the signature
 * (the replay key for the gateway's format), or throws `WebhookSignatureError`.
 */
export function verifySignature(
  secret: string,
  headers: IncomingMessage["headers"],
  raw: Buffer,
  now: Date,
): { format: WebhookFormat; signature: string } {
  const gatewaySignature = header(headers, "x-signature");
  if (gatewaySignature !== undefined) {
    const timestamp = header(headers, "x-timestamp") ?? "";
    if (!/^[0-9]{1,12}$/.test(timestamp)) throw new WebhookSignatureError("X-Timestamp must be unix seconds");
    const given = /^sha256=([0-9a-fA-F]{64})$/.exec(gatewaySignature.trim())?.[1];
    // Check the signature before the clock, so an unsigned request learns nothing about our time.
    if (!given || !sameDigest(hmacHex(secret, `${timestamp}.`, raw), given)) throw new WebhookSignatureError("signature does not match");
    const age = Math.floor(now.getTime() / 1000) - Number(timestamp);
    if (Math.abs(age) > SIGNATURE_TOLERANCE_SECONDS) {
      throw new WebhookSignatureError(`timestamp is ${age} s from the gateway's clock (tolerance ${SIGNATURE_TOLERANCE_SECONDS} s)`);
    }
    return { format: "GATEWAY", signature: given.toLowerCase() };
  }
  const alchemySignature = header(headers, "x-alchemy-signature");
  if (alchemySignature !== undefined) {
    const given = alchemySignature.trim();
    if (!sameDigest(hmacHex(secret, raw), given)) throw new WebhookSignatureError("signature does not match");
    return { format: "ALCHEMY", signature: given.toLowerCase() };
  }
  throw new WebhookSignatureError("missing X-Signature (with X-Timestamp) or X-Alchemy-Signature");
}

// ---- payloads ----------------------------------------------------------------------------

const hex = z.string().regex(/^0x[0-9a-fA-F]*$/, "must be 0x-prefixed hex");
const hash32 = z.string().regex(/^0x[0-9a-fA-F]{64}$/, "must be a 32-byte 0x hash");
const address = z.string().regex(/^0x[0-9a-fA-F]{40}$/, "must be a 20-byte 0x address");
/** A JSON-RPC quantity ("0x1a"), a decimal string, or a JSON number. */
const quantity = z.union([
  z.string().regex(/^0x[0-9a-fA-F]+$|^[0-9]+$/, "must be a hex quantity or decimal"),
  z.number().int().nonnegative(),
]);
const toBig = (q: string | number) => BigInt(q);

/** A log in eth_getLogs shape: what the gateway's own format carries, and Alchemy's activity[].log. */
const rpcLogSchema = z.object({
  address,
  topics: z.array(hash32).min(1).max(4),
  data: hex,
  blockNumber: quantity,
  blockHash: hash32,
  transactionHash: hash32,
  logIndex: quantity,
  removed: z.boolean().optional(),
});

/** The gateway's own format: `{ id?, chainId, logs: [eth_getLogs log…] }`. */
export const gatewayPayloadSchema = z.object({
  id: z.string().max(200).optional(),
  chainId: z.number().int().positive(),
  logs: z.array(rpcLogSchema).max(10_000),
});

const alchemyActivitySchema = z.object({
  type: z.literal("ADDRESS_ACTIVITY"),
  id: z.string().min(1).max(200),
  event: z.object({
    network: z.string(),
    activity: z.array(z.object({ log: rpcLogSchema.optional() }).passthrough()).max(10_000),
  }),
});

const alchemyCustomSchema = z.object({
  type: z.literal("GRAPHQL"),
  id: z.string().min(1).max(200),
  event: z.object({
    network: z.string().optional(),
    data: z.object({
      block: z.object({
        hash: hash32,
        number: quantity,
        logs: z
          .array(
            z.object({
              data: hex,
              topics: z.array(hash32).min(1).max(4),
              index: quantity,
              account: z.object({ address }),
              transaction: z.object({ hash: hash32 }).passthrough(),
              removed: z.boolean().optional(),
            }),
          )
          .max(10_000),
      }),
    }),
  }),
});

export const alchemyPayloadSchema = z.discriminatedUnion("type", [alchemyActivitySchema, alchemyCustomSchema]);

/** Alchemy network names of chains we might meet; any other network means the gateway's own chain. */
const ALCHEMY_NETWORKS: Record<string, number> = {
  ETH_MAINNET: 1,
  ETH_SEPOLIA: 11155111,
  ETH_HOLESKY: 17000,
  MATIC_MAINNET: 137,
  MATIC_AMOY: 80002,
  ARB_MAINNET: 42161,
  ARB_SEPOLIA: 421614,
  OPT_MAINNET: 10,
  OPT_SEPOLIA: 11155420,
  BASE_MAINNET: 8453,
  BASE_SEPOLIA: 84532,
};

/** Checks a verified delivery's JSON against its format; returns the replay key it should be stored under. */
export function parsePayload(format: WebhookFormat, payload: unknown, signature: string): { deliveryKey: string } {
  if (format === "GATEWAY") {
    gatewayPayloadSchema.parse(payload);
    return { deliveryKey: `gateway:${signature}` };
  }
  const parsed = alchemyPayloadSchema.parse(payload);
  return { deliveryKey: `alchemy:${parsed.id}` };
}

/** The logs a stored delivery carries, in eth_getLogs terms. */
export function logsOfDelivery(format: WebhookFormat, payload: unknown, gatewayChainId: number): RawLog[] {
  const fromRpc = (chainId: number, l: z.infer<typeof rpcLogSchema>): RawLog => ({
    chainId,
    address: l.address,
    topics: l.topics as Hex[],
    data: l.data as Hex,
    blockNumber: toBig(l.blockNumber),
    blockHash: l.blockHash as Hex,
    transactionHash: l.transactionHash as Hex,
    logIndex: Number(toBig(l.logIndex)),
    removed: l.removed ?? false,
  });
  if (format === "GATEWAY") {
    const p = gatewayPayloadSchema.parse(payload);
    return p.logs.map((l) => fromRpc(p.chainId, l));
  }
  const p = alchemyPayloadSchema.parse(payload);
  const chainId = (p.event.network && ALCHEMY_NETWORKS[p.event.network]) || gatewayChainId;
  if (p.type === "ADDRESS_ACTIVITY") {
    // Native ETH transfers carry no log: nothing for the cap table.
    return p.event.activity.flatMap((a) => (a.log ? [fromRpc(chainId, a.log)] : []));
  }
  const block = p.event.data.block;
  return block.logs.map((l) => ({
    chainId,
    address: l.account.address,
    topics: l.topics as Hex[],
    data: l.data as Hex,
    blockNumber: toBig(block.number),
    blockHash: block.hash as Hex,
    transactionHash: l.transaction.hash as Hex,
    logIndex: Number(toBig(l.index)),
    removed: l.removed ?? false,
  }));
}

// ---- HTTP --------------------------------------------------------------------------------

export type WebhookHandlerOptions = {
  /** The request's context from the edge's one factory: its database and clock (no caller; the HMAC is the credential). */
  ctx: Pick<ServiceContext, "db" | "now">;
  secret: string;
  maxBodyBytes: number;
  /** Called after a delivery is stored, to apply it soon (the in-process applier). */
  onStored?: () => void;
};

/**
 * Handles one `POST /webhooks/chain`: raw bytes → signature → JSON → inbox → 202. A body over
 * the limit is thrown (PayloadTooLargeError) for the server's one error reply: 413, connection closed.
 * @example if (path === "/webhooks/chain") return handleChainWebhook(req, res, { ctx, secret, maxBodyBytes: 5_000_000 });
 */
export async function handleChainWebhook(req: IncomingMessage, res: ServerResponse, options: WebhookHandlerOptions): Promise<void> {
  const { db, now } = options.ctx;
  if (req.method !== "POST") {
    return sendJson(res, 405, { error: { code: "METHOD_NOT_ALLOWED", message: "POST a signed delivery" } }, { allow: "POST" });
  }
  // Reads the raw bytes: the signature covers them, not a re-serialized JSON.
  const raw = await readBody(req, options.maxBodyBytes);
  let verified;
  try {
    verified = verifySignature(options.secret, req.headers, raw, now());
  } catch (error) {
    if (error instanceof WebhookSignatureError) return sendError(res, error, { status: 401 });
    throw error;
  }
  let payload: unknown;
  let deliveryKey: string;
  try {
    payload = JSON.parse(raw.toString("utf8"));
    ({ deliveryKey } = parsePayload(verified.format, payload, verified.signature));
  } catch (error) {
    const message =
      error instanceof z.ZodError ? error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ") : "body is not valid JSON";
    return sendJson(res, 400, { error: { code: "BAD_PAYLOAD", message } });
  }
  const [stored] = await db
    .insert(webhookDelivery)
    .values({ format: verified.format, deliveryKey, payload: payload as object })
    .onConflictDoNothing({ target: webhookDelivery.deliveryKey })
    .returning({ id: webhookDelivery.id });
  if (!stored) {
    // The same signed bytes twice is a replay; Alchemy's redelivery of one event id is a retry.
    if (verified.format === "GATEWAY")
      return sendJson(res, 401, { error: { code: "WEBHOOK_REPLAYED", message: "this delivery was already received" } });
    return sendJson(res, 200, { status: "duplicate" });
  }
  options.onStored?.();
  return sendJson(res, 202, { status: "accepted", deliveryId: stored.id });
}
