/**
 * Wallet control proven with Sign-In with Ethereum (EIP-4361) before a wallet is whitelisted.
 * The gateway issues a single-use nonce bound to the investor, its wallet, its domain and its
 * chain, and returns the message to sign (viem's `createSiweMessage`). The signed message is
 * parsed and checked with viem's SIWE utilities; each refusal has its own error code.
 */
import { and, eq, gt, isNull } from "drizzle-orm";
import { z } from "zod";
import { getAddress, type Address, type Hex } from "viem";
import { createSiweMessage, generateSiweNonce, parseSiweMessage, validateSiweMessage, verifySiweMessage } from "viem/siwe";
import type { ServiceContext } from "../context.js";
import { requireActor } from "../context.js";
import { parseInput, text, uuidSchema } from "../validation.js";
import { investor } from "../investors/table.js";
import { getInvestor, type Investor } from "../investors/service.js";
import { walletChallenge } from "./table.js";
import { appendAuditEvent, auditActor } from "../audit/service.js";
import { SiweDomainMismatchError, SiweMessageInvalidError, SiweNonceInvalidError, SiweSignatureInvalidError } from "./errors.js";
import { DEFAULTS } from "../config.js";

/** How long a challenge may be answered. */
const CHALLENGE_TTL_MS = 10 * 60 * 1000;
export type WalletChallenge = { investorId: string; nonce: string; message: string; expiresAt: Date };

/** The domain used when the gateway is not configured with one (SIWE_DOMAIN): config's default. */
const domainOf = (ctx: ServiceContext) => ctx.siweDomain ?? DEFAULTS.siweDomain;

/**
 * Issues a SIWE challenge for the investor's registered wallet: the exact message the wallet
 * must sign (personal_sign) and its nonce.
 * @example const { message } = await requestWalletChallenge(ctx, { investorId });
 */
export async function requestWalletChallenge(ctx: ServiceContext, input: { investorId: string }): Promise<WalletChallenge> {
  requireActor(ctx);
  const investorId = parseInput(uuidSchema, input.investorId);
  const inv = await getInvestor(ctx, investorId);
  const domain = domainOf(ctx);
  const issuedAt = ctx.now();
  const expiresAt = new Date(issuedAt.getTime() + CHALLENGE_TTL_MS);
  const nonce = generateSiweNonce();
  const message = createSiweMessage({
    domain,
    address: inv.walletAddress as Address,
    statement: "Prove control of this wallet so it can be whitelisted by the Data Asset Gateway.",
    uri: `https://${domain}`,
    version: "1",
    chainId: ctx.chain.chainId,
    nonce,
    issuedAt,
    expirationTime: expiresAt,
  });
  await ctx.db.transaction(async (tx) => {
    await tx.insert(walletChallenge).values({
      nonce,
      investorId: inv.id,
      walletAddress: inv.walletAddress,
      domain,
      chainId: ctx.chain.chainId,
      issuedAt,
      expiresAt,
    });
    await appendAuditEvent(
      tx,
      {
        ...auditActor(ctx),
        action: "wallet.challenge_issued",
        entityType: "Investor",
        entityId: inv.id,
        payload: { walletAddress: inv.walletAddress, nonce, domain, chainId: ctx.chain.chainId, expiresAt },
      },
      issuedAt,
    );
  });
  return { investorId: inv.id, nonce, message, expiresAt };
}

const proveSchema = z.object({
  investorId: uuidSchema,
  message: text().min(1).max(4000),
  signature: z.string().regex(/^0x[0-9a-fA-F]+$/, "must be a 0x-prefixed hex signature"),
});

/**
 * Checks a signed SIWE message against an open challenge and, when it holds, records that the
 * investor controls the wallet. The nonce is consumed: the same message cannot be used twice.
 */
export async function proveWalletControl(ctx: ServiceContext, input: z.input<typeof proveSchema>): Promise<Investor> {
  requireActor(ctx);
  const params = parseInput(proveSchema, input);
  const inv = await getInvestor(ctx, params.investorId);
  const now = ctx.now();
  const { challenge, address } = await verifySignedChallenge(ctx, params, { purpose: "WALLET_PROOF", investorId: inv.id }, now);

  return ctx.db.transaction(async (tx) => {
    const used = await tx
      .update(walletChallenge)
      .set({ usedAt: now })
      .where(and(eq(walletChallenge.nonce, challenge.nonce), isNull(walletChallenge.usedAt)))
      .returning({ nonce: walletChallenge.nonce });
    // A concurrent proof with the same message consumed the nonce first.
    if (used.length === 0) throw new SiweNonceInvalidError("the nonce was already used");
    const [row] = await tx.update(investor).set({ walletProvenAt: now }).where(eq(investor.id, inv.id)).returning();
    await appendAuditEvent(
      tx,
      {
        ...auditActor(ctx),
        action: "wallet.proven",
        entityType: "Investor",
        entityId: inv.id,
        payload: {
          walletAddress: address,
          nonce: challenge.nonce,
          domain: challenge.domain,
          chainId: challenge.chainId,
          method: "SIWE_EIP4361",
          signature: params.signature,
        },
      },
      now,
    );
    return row!;
  });
}

/**
 * Checks a signed EIP-4361 message against an open challenge of the given purpose (and
 * investor): the nonce was issued, unused and unexpired; the domain, chain and wallet match;
 * the signature proves the wallet. Answers the challenge; spending its nonce is the caller's.
 * Shared by the wallet proof and the investor sign-in (identity/sign-in.ts).
 */
export async function verifySignedChallenge(
  ctx: Pick<ServiceContext, "db" | "chain">,
  signed: { message: string; signature: string },
  scope: { purpose: (typeof walletChallenge.$inferSelect)["purpose"]; investorId?: string },
  now: Date,
): Promise<{ challenge: typeof walletChallenge.$inferSelect; address: Address }> {
  const message = parseSiweMessage(signed.message);
  if (!message.nonce || !message.domain || !message.address) {
    throw new SiweMessageInvalidError("not an EIP-4361 message: domain, address and nonce are required");
  }
  const [challenge] = await ctx.db
    .select()
    .from(walletChallenge)
    .where(
      and(
        eq(walletChallenge.nonce, message.nonce),
        eq(walletChallenge.purpose, scope.purpose),
        scope.investorId === undefined ? undefined : eq(walletChallenge.investorId, scope.investorId),
        isNull(walletChallenge.usedAt),
        gt(walletChallenge.expiresAt, now),
      ),
    );
  if (!challenge) {
    const issuedFor = scope.investorId === undefined ? "for sign-in" : "for this investor";
    throw new SiweNonceInvalidError(`the nonce was not issued ${issuedFor}, was already used, or has expired`);
  }
  if (message.domain !== challenge.domain) {
    throw new SiweDomainMismatchError(`message is for domain ${message.domain}, not ${challenge.domain}`);
  }
  if (message.chainId !== challenge.chainId) {
    throw new SiweMessageInvalidError(`message is for chain ${message.chainId}, not ${challenge.chainId}`);
  }
  const address = getAddress(challenge.walletAddress);
  const checks = { address, domain: challenge.domain, nonce: challenge.nonce, time: now };
  if (!validateSiweMessage({ message, ...checks })) {
    throw new SiweMessageInvalidError("message is for another wallet, or outside its validity window");
  }
  const valid = await verifySiweMessage(ctx.chain.publicClient, { message: signed.message, signature: signed.signature as Hex, ...checks });
  if (!valid) throw new SiweSignatureInvalidError(`the signature does not prove control of ${address}`);
  return { challenge, address };
}
