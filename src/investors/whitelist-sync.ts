/**
 * Keeps the registry's whitelist and the tokens' on-chain whitelists in agreement when an
 * investor stops being eligible: a KYC revocation (immediately) or expiry (by a periodic
 * sweep) removes the wallet on chain first, then from `tranche_whitelist`. A failed chain call
 * leaves the row in place, so the next sweep tries again and the registry never claims less
 * than the chain has.
 */
import { and, eq, isNotNull, lte, ne, or } from "drizzle-orm";
import type { Address } from "viem";
import type { Logger } from "pino";
import type { Database } from "../db/index.js";
import type { ChainClients } from "../chain/client.js";
import { DataAssetTokenAbi, setWhitelisted } from "../chain/token.js";
import { tranche } from "../offerings/table.js";
import { BaseError, ChainUnavailableError } from "../errors.js";
import { startLoop } from "../queue/loop.js";
import { investor, trancheWhitelist } from "./table.js";
import { appendAuditEvent } from "../audit/service.js";

/** Reads the token's whitelist flag for an address. */
export async function isWhitelistedOnChain(chain: ChainClients, token: Address, account: Address): Promise<boolean> {
  return chain.publicClient.readContract({ address: token, abi: DataAssetTokenAbi, functionName: "isWhitelisted", args: [account] });
}

export type WhitelistSyncDeps = { db: Database; chain: ChainClients };
export type Unlisted = { trancheId: string; walletAddress: string; txHash: string | null };

/**
 * Removes every whitelisting of one investor, on chain and in the registry; each removal is
 * audited on the investor's trail, by `by` (the sweep is SYSTEM), for `reason`.
 */
export async function unlistInvestor(
  deps: WhitelistSyncDeps,
  investorId: string,
  by: { actor: string; actorOrgId: string | null } = { actor: "SYSTEM", actorOrgId: null },
  reason = "KYC no longer valid",
): Promise<Unlisted[]> {
  const rows = await deps.db
    .select({ trancheId: trancheWhitelist.trancheId, walletAddress: trancheWhitelist.walletAddress, token: tranche.tokenAddress })
    .from(trancheWhitelist)
    .innerJoin(tranche, eq(tranche.id, trancheWhitelist.trancheId))
    .where(eq(trancheWhitelist.investorId, investorId));
  const done: Unlisted[] = [];
  for (const row of rows) {
    let txHash: string | null = null;
    try {
      // Skip the transaction when the chain already agrees (e.g. a previous sweep crashed after sending).
      if (row.token && (await isWhitelistedOnChain(deps.chain, row.token as Address, row.walletAddress as Address))) {
        txHash = (
          await setWhitelisted(deps.chain, { token: row.token as Address, account: row.walletAddress as Address, whitelisted: false })
        ).txHash;
      }
    } catch (error) {
      // The row stays: the next sweep retries, and the registry never lists less than the chain.
      if (error instanceof BaseError) throw error;
      throw new ChainUnavailableError(
        `removing ${row.walletAddress} from the whitelist of tranche ${row.trancheId} failed: ${(error as Error).message.split("\n")[0]}`,
        { cause: error },
      );
    }
    await deps.db.transaction(async (tx) => {
      const removed = await tx
        .delete(trancheWhitelist)
        .where(and(eq(trancheWhitelist.trancheId, row.trancheId), eq(trancheWhitelist.walletAddress, row.walletAddress)))
        .returning({ trancheId: trancheWhitelist.trancheId });
      if (removed.length === 0) return; // another sweep removed (and audited) it first
      await appendAuditEvent(tx, {
        ...by,
        action: "investor.unlisted",
        entityType: "Investor",
        entityId: investorId,
        payload: { trancheId: row.trancheId, tokenAddress: row.token, walletAddress: row.walletAddress, txHash, reason },
      });
    });
    done.push({ trancheId: row.trancheId, walletAddress: row.walletAddress, txHash });
  }
  return done;
}

/**
 * Removes the whitelistings of every investor whose KYC is no longer valid at `now`
 * (expired, or not VERIFIED) but who is still whitelisted somewhere. Safe to run from many
 * processes: the chain call is skipped when the address is already off the list.
 * @example await sweepIneligibleWhitelistings({ db, chain }, new Date());
 */
export async function sweepIneligibleWhitelistings(deps: WhitelistSyncDeps, now: Date): Promise<Unlisted[]> {
  const stale = await deps.db
    .selectDistinct({ investorId: trancheWhitelist.investorId })
    .from(trancheWhitelist)
    .innerJoin(investor, eq(investor.id, trancheWhitelist.investorId))
    .where(or(ne(investor.kycStatus, "VERIFIED"), and(isNotNull(investor.kycExpiresAt), lte(investor.kycExpiresAt, now))));
  const done: Unlisted[] = [];
  for (const { investorId } of stale) done.push(...(await unlistInvestor(deps, investorId)));
  return done;
}

/** Runs the sweep every `intervalMs` on the shared loop until stopped; a failing run is logged and tried again with backoff. */
export function startWhitelistSweeper(deps: WhitelistSyncDeps & { now?: () => Date; intervalMs: number; logger: Logger }): {
  stop(): Promise<void>;
} {
  return startLoop({
    name: "whitelist sweep",
    logger: deps.logger,
    intervalMs: deps.intervalMs,
    runAtStart: false,
    maxBackoffMs: deps.intervalMs,
    run: async () => {
      await sweepIneligibleWhitelistings(deps, (deps.now ?? (() => new Date()))());
    },
  });
}
