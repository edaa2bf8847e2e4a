/**
 * POST /webhooks/revenue: a data exchange's system records asset revenue without a person in
 * the loop, signed with the gateway's HMAC scheme (X-Timestamp + X-Signature, as
 * /webhooks/chain). The body names the exchange organization it records for; the service then
 * applies the same rules as recordAssetRevenue over GraphQL (a DATA_EXCHANGE organization, the
 * asset, the amounts) and answers the same typed errors. A redelivery of one `deliveryId`
 * records nothing new and answers the first record.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { z } from "zod";
import type { ServiceContext } from "../context.js";
import { readBody, sendError, sendJson } from "../edge/http.js";
import { verifySignature, WebhookSignatureError } from "../indexer/webhooks.js";
import { text, uuidSchema } from "../validation.js";
import { recordAssetRevenue } from "./service.js";

const envelopeSchema = z.object({
  deliveryId: text().trim().min(1).max(200),
  organizationId: uuidSchema,
  revenue: z.record(z.unknown()),
});

export type RevenueWebhookOptions = { ctx: ServiceContext; secret: string; maxBodyBytes: number };

export async function handleRevenueWebhook(req: IncomingMessage, res: ServerResponse, options: RevenueWebhookOptions): Promise<void> {
  if (req.method !== "POST") {
    return sendJson(res, 405, { error: { code: "METHOD_NOT_ALLOWED", message: "POST a signed delivery" } }, { allow: "POST" });
  }
  const raw = await readBody(req, options.maxBodyBytes);
  try {
    // Only the gateway's timestamped format: a revenue record must not be replayable later.
    const verified = verifySignature(options.secret, req.headers, raw, options.ctx.now());
    if (verified.format !== "GATEWAY") throw new WebhookSignatureError("sign revenue deliveries with X-Timestamp and X-Signature");
  } catch (error) {
    if (error instanceof WebhookSignatureError) return sendError(res, error, { status: 401 });
    throw error;
  }
  let envelope: z.infer<typeof envelopeSchema>;
  try {
    envelope = envelopeSchema.parse(JSON.parse(raw.toString("utf8")));
  } catch (error) {
    const message =
      error instanceof z.ZodError ? error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ") : "body is not valid JSON";
    return sendJson(res, 400, { error: { code: "BAD_PAYLOAD", message } });
  }
  // The HMAC is the credential: the exchange acts as its compliance function.
  const ctx: ServiceContext = {
    ...options.ctx,
    auth: {
      kind: "actor",
      actor: { subject: `webhook:${envelope.deliveryId}`, organizationId: envelope.organizationId, roles: ["COMPLIANCE_OFFICER"] },
    },
  };
  try {
    const row = await recordAssetRevenue(ctx, { ...(envelope.revenue as object), deliveryId: envelope.deliveryId } as never);
    return sendJson(res, 201, { status: "recorded", revenueId: row.id });
  } catch (error) {
    return sendError(res, error);
  }
}
