/**
 * Cancelling an offering wakes the settlement worker in the same process, as a subscription
 * does: its refunds go on chain at once, not at the worker's next poll. The worker here polls
 * once an hour, so only the wake can settle them within the test. Judged by the chain: the
 * investor's tokens burned and the cost paid back in dUSD.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PrivateKeyAccount } from "viem/accounts";
import type { Address } from "viem";
import { startTestGateway, type TestGateway } from "./support/harness.js";
import { createActors, ERROR_FIELDS, ok, type registerVerifiedInvestor, type Actors } from "./support/flow.js";
import { balanceOf, waitFor } from "./support/indexer.js";
import { approve, openResidualOffering, REQUEST_SUBSCRIPTION, stablecoinBalance } from "./support/dvp.js";

const HOUR = 3_600_000;
const E18 = 10n ** 18n;
const E6 = 10n ** 6n;
/** How long a woken worker may take: a round, and a transaction mined at once on the dev chain. */
const WOKEN_WITHIN_MS = 5_000;

let t: TestGateway;
let a: Actors;
let dusd: Address;
let treasury: PrivateKeyAccount;
let settlement: Address;
let offeringId: string;
let trancheId: string;
let token: Address;
let investor: Awaited<ReturnType<typeof registerVerifiedInvestor>>;

beforeAll(async () => {
  // The whole gateway in one process, its workers polling hourly: they move only when woken.
  t = await startTestGateway({ gateway: { kycSweepIntervalMs: HOUR, mintWorker: { pollIntervalMs: HOUR, receiptPollMs: 50 } } });
  a = await createActors(t);
  const opened = await openResidualOffering(t, a, { name: "Cancel Wake Note", tokenSymbol: "CNWK", investors: 1 });
  ({ dusd, treasury, settlement, offeringId, trancheId, token } = opened);
  investor = opened.investors[0]!;
  // The treasury pays refunds back through the settlement contract.
  await approve(t, dusd, treasury, settlement);
}, 240_000);

afterAll(async () => {
  await t?.close();
});

describe("cancelOffering", () => {
  it("wakes the settlement worker: the paid subscription is refunded on chain at once", async () => {
    const r = await t.gql(
      REQUEST_SUBSCRIPTION,
      { input: { idempotencyKey: "cancel-wake", trancheId, investorId: investor.investorId, amount: (10n * E18).toString() } },
      a.issuerToken,
    );
    expect(r.data.requestSubscription.__typename, JSON.stringify(r.data)).toBe("InvestorSubscription");
    // requestSubscription wakes the worker: 10 tokens bought for 10 dUSD.
    await waitFor("the subscription on chain", async () => (await balanceOf(t, token, investor.wallet)) === 10n * E18, WOKEN_WITHIN_MS);
    expect(await stablecoinBalance(t, dusd, investor.wallet)).toBe(90n * E6);

    ok(
      await t.gql(
        `mutation($id: ID!) { cancelOffering(offeringId: $id) { __typename ... on Offering { status } ${ERROR_FIELDS} } }`,
        { id: offeringId },
        a.issuerToken,
      ),
      "cancelOffering",
      "Offering",
    );
    await waitFor(
      "the refund on chain (tokens burned, cost paid back)",
      async () => (await balanceOf(t, token, investor.wallet)) === 0n && (await stablecoinBalance(t, dusd, investor.wallet)) === 100n * E6,
      WOKEN_WITHIN_MS,
    );
  }, 60_000);
});
