/**
 * Investor sign-in with Sign-In with Ethereum (EIP-4361). Anyone may ask for a challenge for
 * any address: the answer is the same whether or not an investor is registered with it, so
 * it reveals nothing. The signed message is checked as a wallet proof is (one-time nonce,
 * domain, chain, validity window, signature); only once the signature holds is the wallet's
 * investor looked up, and it must have proven the wallet and hold a verified, unexpired KYC.
 * The answer is a short-lived INVESTOR token (INVESTOR_SESSION_SECONDS).
 */
import { and, desc, eq, isNull } from "drizzle-orm";
import { z } from "zod";
import type { Address } from "viem";
import { createSiweMessage, generateSiweNonce } from "viem/siwe";
import type { ServiceContext } from "../context.js";
import { addressSchema } from "../chain/address.js";
import { parseInput, text } from "../validation.js";
import { investor } from "../investors/table.js";
import { KycNotVerifiedError, WalletNotProvenError, type Investor } from "../investors/service.js";
import { kycProblem } from "../compliance/requirements.js";
import { appendAuditEvent } from "../audit/service.js";
import { walletChallenge } from "./table.js";
import { SiweNonceInvalidError, WalletNotRegisteredError } from "./errors.js";
import { verifySignedChallenge } from "./siwe.js";
import { DEFAULTS } from "../config.js";

/** How long a sign-in challenge may be answered. */
const CHALLENGE_TTL_MS = 5 * 60 * 1000;

export type SignInChallenge = { walletAddress: string; nonce: string; message: string; expiresAt: Date };
export type InvestorSignIn = { token: string; expiresAt: Date; investor: Investor };

const domainOf = (ctx: ServiceContext) => ctx.siweDomain ?? DEFAULTS.siweDomain;

/**
 * Issues a single-use sign-in challenge for a wallet address, to any caller.
 * @example const { message } = await requestSignInChallenge(ctx, { walletAddress: "0x…" });
 */
export async function requestSignInChallenge(ctx: ServiceContext, input: { walletAddress: string }): Promise<SignInChallenge> {
  const walletAddress = parseInput(addressSchema, input.walletAddress);
  const domain = domainOf(ctx);
  const issuedAt = ctx.now();
  const expiresAt = new Date(issuedAt.getTime() + CHALLENGE_TTL_MS);
  const nonce = generateSiweNonce();
  const message = createSiweMessage({
    domain,
    address: walletAddress as Address,
    statement: "Sign in to the Data Asset Gateway as the investor registered with this wallet.",
    uri: `https://${domain}`,
    version: "1",
    chainId: ctx.chain.chainId,
    nonce,
    issuedAt,
    expirationTime: expiresAt,
  });
  // No audit event: the challenge is about no entity yet, and anyone may ask for one.
  await ctx.db
    .insert(walletChallenge)
    .values({ nonce, purpose: "SIGN_IN", walletAddress, domain, chainId: ctx.chain.chainId, issuedAt, expiresAt });
  return { walletAddress, nonce, message, expiresAt };
}

const signInSchema = z.object({
  message: text().min(1).max(4000),
  signature: z.string().regex(/^0x[0-9a-fA-F]+$/, "must be a 0x-prefixed hex signature"),
});

/**
 * Checks a signed sign-in message and answers an INVESTOR session token for the investor
 * registered with the wallet. The nonce is spent once the signature holds, whatever follows.
 * @example const { token } = await signInWithEthereum(ctx, { message, signature });
 */
export async function signInWithEthereum(ctx: ServiceContext, input: z.input<typeof signInSchema>): Promise<InvestorSignIn> {
  const params = parseInput(signInSchema, input);
  const now = ctx.now();
  const { challenge, address } = await verifySignedChallenge(ctx, params, { purpose: "SIGN_IN" }, now);

  // Spent before the investor checks, so a refused message cannot be tried again either.
  const used = await ctx.db
    .update(walletChallenge)
    .set({ usedAt: now })
    .where(and(eq(walletChallenge.nonce, challenge.nonce), isNull(walletChallenge.usedAt)))
    .returning({ nonce: walletChallenge.nonce });
  if (used.length === 0) throw new SiweNonceInvalidError("the nonce was already used");

  const inv = await investorOfWallet(ctx, address, now);
  if (!ctx.issueInvestorToken) throw new Error("this context cannot sign investor sessions (no JWT secret)");
  const session = await ctx.issueInvestorToken({ subject: address, investorId: inv.id });
  await ctx.db.transaction((tx) =>
    appendAuditEvent(
      tx,
      {
        actor: address,
        actorOrgId: null,
        action: "investor.signed_in",
        entityType: "Investor",
        entityId: inv.id,
        payload: {
          walletAddress: address,
          nonce: challenge.nonce,
          domain: challenge.domain,
          chainId: challenge.chainId,
          expiresAt: session.expiresAt,
        },
      },
      now,
    ),
  );
  return { ...session, investor: inv };
}

/**
 * The investor the wallet signs in as: registered with it, the wallet proven, the KYC verified
 * and unexpired. One wallet may be registered to several investor identities (DIDs); the one
 * whose wallet was proven last among the eligible signs in.
 */
async function investorOfWallet(ctx: ServiceContext, address: Address, now: Date): Promise<Investor> {
  const candidates = await ctx.db.select().from(investor).where(eq(investor.walletAddress, address)).orderBy(desc(investor.walletProvenAt));
  if (candidates.length === 0) throw new WalletNotRegisteredError(`no investor is registered with wallet ${address}`);
  const proven = candidates.filter((i) => i.walletProvenAt);
  if (proven.length === 0) {
    throw new WalletNotProvenError(`the investor registered with ${address} has not proven control of it (proveWalletControl)`);
  }
  const eligible = proven.find((i) => !kycProblem(i, now));
  if (!eligible) throw new KycNotVerifiedError(`investor ${proven[0]!.id}: ${kycProblem(proven[0]!, now)}`);
  return eligible;
}
