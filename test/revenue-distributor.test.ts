/**
 * RevenueDistributor against the real dev chain (anvil over JSON-RPC), read back with viem: a
 * period's revenue run through the waterfall and split pro rata among 100 holders of three
 * tranches, pushed in one batch (every balance, one DistributionPaid per payout, the treasury);
 * a re-sent payout id reverting AlreadyPaid with nothing moved; an underfunded treasury moving
 * nothing of its batch; pull claims against a Merkle root built here (sorted-pair hashing, as
 * OpenZeppelin's MerkleProof verifies) and a double claim refused. Then the gas: per holder for
 * push batches of 1, 10, 100 and 200 and for pull (declare + one claim each), the cost of the
 * on-chain exactly-once check (from a trace), the block gas limit and the largest push batch
 * under half of it. The figures are printed; docs/distribution-gas.md records them.
 */
import { randomUUID } from "node:crypto";
import { beforeAll, describe, expect, inject, it } from "vitest";
import {
  type BaseError,
  ContractFunctionRevertedError,
  concat,
  createPublicClient,
  createWalletClient,
  encodeAbiParameters,
  encodeFunctionData,
  erc20Abi,
  getAddress,
  http,
  keccak256,
  maxUint256,
  parseEventLogs,
  slice,
  toHex,
  type Abi,
  type Address,
  type Hex,
  type PrivateKeyAccount,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { foundry } from "viem/chains";
import { devChainSignerKey } from "../src/chain/dev-chain.js";
import { DevStablecoinAbi, DevStablecoinBytecode } from "../src/chain/generated/DevStablecoin.js";
import { RevenueDistributorAbi, RevenueDistributorBytecode } from "../src/chain/generated/RevenueDistributor.js";
import { settlementId } from "../src/chain/settlement.js";
import { periodWaterfall, proRata } from "../src/distribution/waterfall.js";

const E6 = 10n ** 6n;
/** The distributor's reverts and the stablecoin's (ERC20InsufficientBalance…), for decoding. */
const ERRORS_ABI = [...RevenueDistributorAbi, ...DevStablecoinAbi.filter((i) => i.type === "error")] as Abi;

const transport = http(inject("rpcUrl"));
const publicClient = createPublicClient({ chain: foundry, transport, pollingInterval: 50 });
/** Dev key 12: no other test file signs with it (the harness pool takes 1 + (poolId − 1) % 19). */
const owner = privateKeyToAccount(devChainSignerKey(12));
const wallet = (account: PrivateKeyAccount) => createWalletClient({ account, chain: foundry, transport, pollingInterval: 50 });
const ownerWallet = wallet(owner);

let dusd: Address;
let distributor: Address;
let treasury: PrivateKeyAccount;

/** An address nobody holds a key to, one per label (holders and tranche tokens only receive). */
const addressOf = (label: string): Address => getAddress(slice(keccak256(toHex(label)), 12));
/** A fresh outside wallet with gas money (anvil's own RPC: no transaction of any signer's). */
async function outsider(label: string) {
  const account = privateKeyToAccount(keccak256(toHex(`revenue-distributor ${label} ${randomUUID()}`)));
  await publicClient.request({ method: "anvil_setBalance" as any, params: [account.address, toHex(10n ** 20n)] as any });
  return account;
}

async function mined(hash: Hex) {
  return publicClient.waitForTransactionReceipt({ hash });
}
async function send(request: Promise<Hex>) {
  const receipt = await mined(await request);
  expect(receipt.status).toBe("success");
  return receipt;
}
const balance = (address: Address) =>
  publicClient.readContract({ address: dusd, abi: erc20Abi, functionName: "balanceOf", args: [address] });
const isPaid = (id: Hex) =>
  publicClient.readContract({ address: distributor, abi: RevenueDistributorAbi, functionName: "paid", args: [id] });

async function fundTreasury(account: PrivateKeyAccount, amount: bigint) {
  await send(
    wallet(account).writeContract({ address: dusd, abi: DevStablecoinAbi, functionName: "faucet", args: [account.address, amount] }),
  );
  await send(wallet(account).writeContract({ address: dusd, abi: erc20Abi, functionName: "approve", args: [distributor, maxUint256] }));
}

type Payout = { payoutId: Hex; tranche: Address; holder: Address; amount: bigint };

/** Trancheless payouts of 1 dUSD + i base units to `n` fresh holders. */
function payouts(n: number, label: string): Payout[] {
  const tranche = addressOf(`${label} tranche`);
  return Array.from({ length: n }, (_, i) => ({
    payoutId: settlementId(randomUUID()),
    tranche,
    holder: addressOf(`${label} holder ${i}`),
    amount: E6 + BigInt(i),
  }));
}

/** Declares a push distribution of `items` (their per-tranche totals) from `from`; returns its id and the receipt. */
async function declare(items: Payout[], from: Address = treasury.address) {
  const id = settlementId(randomUUID());
  const totals = new Map<Address, bigint>();
  for (const p of items) totals.set(p.tranche, (totals.get(p.tranche) ?? 0n) + p.amount);
  const receipt = await send(
    ownerWallet.writeContract({
      address: distributor,
      abi: RevenueDistributorAbi,
      functionName: "declare",
      args: [id, dusd, from, BigInt(items.length), [...totals.keys()], [...totals.values()]],
    }),
  );
  return { id, receipt };
}

const pay = (id: Hex, items: Payout[], from: Address = treasury.address) =>
  send(
    ownerWallet.writeContract({
      address: distributor,
      abi: RevenueDistributorAbi,
      functionName: "payBatch",
      args: [id, dusd, from, items],
    }),
  );

/** The custom error a call reverts with, as the node reports it to a simulation. */
async function revertOf(run: () => Promise<unknown>) {
  try {
    await run();
  } catch (error) {
    const reverted = (error as BaseError).walk((e) => e instanceof ContractFunctionRevertedError) as ContractFunctionRevertedError | null;
    if (reverted?.data) return { name: reverted.data.errorName, args: reverted.data.args };
    if (reverted?.raw) return { name: "raw", args: [reverted.raw] };
    throw error;
  }
  throw new Error("expected a revert");
}

beforeAll(async () => {
  const dusdReceipt = await mined(await ownerWallet.deployContract({ abi: DevStablecoinAbi, bytecode: DevStablecoinBytecode }));
  dusd = getAddress(dusdReceipt.contractAddress!);
  const distributorReceipt = await mined(
    await ownerWallet.deployContract({ abi: RevenueDistributorAbi, bytecode: RevenueDistributorBytecode, args: [owner.address] }),
  );
  distributor = getAddress(distributorReceipt.contractAddress!);
  treasury = await outsider("treasury");
  await fundTreasury(treasury, 1_000_000n * E6);
});

describe("push: the owner pays a declared distribution in batches", () => {
  it("pays a waterfall period to 100 holders of three tranches in one batch, one DistributionPaid per payout", async () => {
    const tranches = {
      senior: addressOf("tranche senior"),
      mezzanine: addressOf("tranche mezzanine"),
      junior: addressOf("tranche junior"),
    };
    const period = periodWaterfall({
      available: 25_000n * E6,
      managementFeeBps: 100,
      outstandingPrincipal: 1_000_000n * E6,
      days: 90n,
      tranches: [
        { key: "senior", rank: 0, kind: "FIXED", couponBps: 600, principal: 600_000n * E6, arrears: 0n },
        { key: "mezzanine", rank: 1, kind: "FIXED", couponBps: 900, principal: 300_000n * E6, arrears: 0n },
        { key: "junior", rank: 2, kind: "RESIDUAL", couponBps: 0, principal: 100_000n * E6, arrears: 0n },
      ],
    });
    // 50 senior, 30 mezzanine, 20 junior holders with awkward 18-decimal balances.
    const counts = { senior: 50, mezzanine: 30, junior: 20 } as const;
    const items: Payout[] = [];
    for (const [key, count] of Object.entries(counts) as [keyof typeof counts, number][]) {
      const t = period.tranches.find((p) => p.key === key)!;
      const amount = t.paid + t.residual;
      const holders = Array.from({ length: count }, (_, i) => ({
        key: addressOf(`waterfall ${key} holder ${i}`),
        balance: BigInt(i + 1) * 10n ** 18n + BigInt(i * 7919),
      }));
      const shares = proRata(holders, amount);
      for (const h of holders)
        items.push({ payoutId: settlementId(randomUUID()), tranche: tranches[key], holder: h.key, amount: shares.get(h.key)! });
    }
    const total = items.reduce((s, p) => s + p.amount, 0n);
    expect(total).toBe(period.total - period.fee);

    const before = await balance(treasury.address);
    const { id, receipt: declared } = await declare(items);
    const [declaredEvent] = parseEventLogs({ abi: RevenueDistributorAbi, logs: declared.logs, eventName: "DistributionDeclared" });
    expect(declaredEvent!.args).toMatchObject({ distributionId: id, currency: dusd, treasury: treasury.address, total, holders: 100n });
    expect(declaredEvent!.args.trancheTotals).toEqual([period.tranches[0]!.paid, period.tranches[1]!.paid, period.tranches[2]!.residual]);

    const receipt = await pay(id, items);
    const events = parseEventLogs({ abi: RevenueDistributorAbi, logs: receipt.logs, eventName: "DistributionPaid" });
    expect(events).toHaveLength(100);
    expect(events.map((e) => e.args)).toEqual(
      items.map((p) => ({ distributionId: id, tranche: p.tranche, holder: p.holder, amount: p.amount, payoutId: p.payoutId })),
    );
    const balances = await Promise.all(items.map((p) => balance(p.holder)));
    expect(balances).toEqual(items.map((p) => p.amount));
    expect(await balance(treasury.address)).toBe(before - total);
    expect(await isPaid(items[0]!.payoutId)).toBe(true);
    const stored = await publicClient.readContract({
      address: distributor,
      abi: RevenueDistributorAbi,
      functionName: "distributions",
      args: [id],
    });
    expect(stored[4]).toBe(0n); // nothing left to pay
  });

  it("a batch re-sending a paid payout id reverts AlreadyPaid, and none of it moves", async () => {
    const items = payouts(3, "resend");
    const { id } = await declare([...items, ...payouts(2, "resend spare")]);
    await pay(id, items.slice(0, 2));
    const again = [items[2]!, items[0]!];
    const args = [id, dusd, treasury.address, again] as const;
    expect(
      await revertOf(() =>
        publicClient.simulateContract({ account: owner, address: distributor, abi: ERRORS_ABI, functionName: "payBatch", args }),
      ),
    ).toEqual({ name: "AlreadyPaid", args: [items[0]!.payoutId] });
    // Sent anyway (gas given, so no estimate refuses it first): the chain reverts it whole.
    const treasuryBefore = await balance(treasury.address);
    const receipt = await mined(
      await ownerWallet.writeContract({ address: distributor, abi: RevenueDistributorAbi, functionName: "payBatch", args, gas: 500_000n }),
    );
    expect(receipt.status).toBe("reverted");
    expect(await balance(items[2]!.holder)).toBe(0n);
    expect(await balance(items[0]!.holder)).toBe(items[0]!.amount);
    expect(await isPaid(items[2]!.payoutId)).toBe(false);
    expect(await balance(treasury.address)).toBe(treasuryBefore);
  });

  it("an underfunded treasury reverts the whole batch: nothing moved, nothing marked paid", async () => {
    const poor = await outsider("poor treasury");
    await fundTreasury(poor, 5n * E6);
    const items = payouts(10, "underfunded"); // 10 dUSD and change: the first four would be affordable
    const { id } = await declare(items, poor.address);
    const args = [id, dusd, poor.address, items] as const;
    const refusal = await revertOf(() =>
      publicClient.simulateContract({ account: owner, address: distributor, abi: ERRORS_ABI, functionName: "payBatch", args }),
    );
    expect(refusal.name).toBe("ERC20InsufficientBalance");
    const receipt = await mined(
      await ownerWallet.writeContract({
        address: distributor,
        abi: RevenueDistributorAbi,
        functionName: "payBatch",
        args,
        gas: 2_000_000n,
      }),
    );
    expect(receipt.status).toBe("reverted");
    expect(await Promise.all(items.map((p) => balance(p.holder)))).toEqual(items.map(() => 0n));
    expect(await Promise.all(items.map((p) => isPaid(p.payoutId)))).toEqual(items.map(() => false));
    expect(await balance(poor.address)).toBe(5n * E6);
  });

  it("refuses to pay more than was declared, a pull distribution, another treasury, or anyone but the owner", async () => {
    const items = payouts(2, "limits");
    const { id } = await declare(items.slice(0, 1));
    const simulate = (args: readonly [Hex, Address, Address, Payout[]], account: Address = owner.address) =>
      revertOf(() => publicClient.simulateContract({ account, address: distributor, abi: ERRORS_ABI, functionName: "payBatch", args }));
    expect((await simulate([id, dusd, treasury.address, items])).name).toBe("ExceedsDeclared");
    expect((await simulate([id, dusd, addressOf("other treasury"), items.slice(0, 1)])).name).toBe("DistributionMismatch");
    expect((await simulate([settlementId(randomUUID()), dusd, treasury.address, items])).name).toBe("UnknownDistribution");
    const pullId = settlementId(randomUUID());
    await send(
      ownerWallet.writeContract({
        address: distributor,
        abi: RevenueDistributorAbi,
        functionName: "declareMerkle",
        args: [pullId, dusd, treasury.address, keccak256(toHex("root")), 10n * E6, 2n],
      }),
    );
    expect((await simulate([pullId, dusd, treasury.address, items.slice(0, 1)])).name).toBe("DistributionMismatch");
    expect((await simulate([id, dusd, treasury.address, items.slice(0, 1)], treasury.address)).name).toBe("OwnableUnauthorizedAccount");
  });
});

/** A Merkle tree of (tranche, holder, amount) leaves as OpenZeppelin hashes them, with sorted-pair inner nodes (what MerkleProof verifies). */
function merkleTree(leaves: { tranche: Address; holder: Address; amount: bigint }[]) {
  const leafOf = (l: (typeof leaves)[number]) =>
    keccak256(
      keccak256(encodeAbiParameters([{ type: "address" }, { type: "address" }, { type: "uint256" }], [l.tranche, l.holder, l.amount])),
    );
  const hashPair = (a: Hex, b: Hex) => keccak256(a.toLowerCase() < b.toLowerCase() ? concat([a, b]) : concat([b, a]));
  const layers: Hex[][] = [leaves.map(leafOf)];
  while (layers.at(-1)!.length > 1) {
    const below = layers.at(-1)!;
    const layer: Hex[] = [];
    // An odd node out is carried up unpaired: its proof simply has no sibling at that level.
    for (let i = 0; i < below.length; i += 2) layer.push(i + 1 < below.length ? hashPair(below[i]!, below[i + 1]!) : below[i]!);
    layers.push(layer);
  }
  return {
    root: layers.at(-1)![0]!,
    proof(index: number): Hex[] {
      const proof: Hex[] = [];
      let i = index;
      for (const layer of layers.slice(0, -1)) {
        const sibling = i % 2 === 0 ? i + 1 : i - 1;
        if (sibling < layer.length) proof.push(layer[sibling]!);
        i = Math.floor(i / 2);
      }
      return proof;
    },
  };
}

describe("pull: holders claim against a declared Merkle root", () => {
  it("pays each claim once to its holder, whoever submits it; a double claim and a wrong amount revert", async () => {
    const leaves = payouts(100, "pull").map(({ tranche, holder, amount }) => ({ tranche, holder, amount }));
    const tree = merkleTree(leaves);
    const total = leaves.reduce((s, l) => s + l.amount, 0n);
    const id = settlementId(randomUUID());
    await send(
      ownerWallet.writeContract({
        address: distributor,
        abi: RevenueDistributorAbi,
        functionName: "declareMerkle",
        args: [id, dusd, treasury.address, tree.root, total, 100n],
      }),
    );
    const claimer = await outsider("claimer"); // not the holder, not the owner: the money still goes to the holder
    const before = await balance(treasury.address);
    for (const index of [0, 37, 99]) {
      const l = leaves[index]!;
      const receipt = await send(
        wallet(claimer).writeContract({
          address: distributor,
          abi: RevenueDistributorAbi,
          functionName: "claim",
          args: [id, l.tranche, l.holder, l.amount, tree.proof(index)],
        }),
      );
      const [event] = parseEventLogs({ abi: RevenueDistributorAbi, logs: receipt.logs, eventName: "DistributionPaid" });
      expect(event!.args).toMatchObject({ distributionId: id, tranche: l.tranche, holder: l.holder, amount: l.amount });
      expect(await balance(l.holder)).toBe(l.amount);
    }
    expect(await balance(treasury.address)).toBe(before - leaves[0]!.amount - leaves[37]!.amount - leaves[99]!.amount);

    const l = leaves[37]!;
    const claim = (amount: bigint) =>
      revertOf(() =>
        publicClient.simulateContract({
          account: claimer,
          address: distributor,
          abi: ERRORS_ABI,
          functionName: "claim",
          args: [id, l.tranche, l.holder, amount, tree.proof(37)],
        }),
      );
    const claimId = await publicClient.readContract({
      address: distributor,
      abi: RevenueDistributorAbi,
      functionName: "claimId",
      args: [id, l.tranche, l.holder],
    });
    expect(await claim(l.amount)).toEqual({ name: "AlreadyPaid", args: [claimId] });
    expect((await claim(l.amount + 1n)).name).toBe("InvalidProof");
    expect(await balance(l.holder)).toBe(l.amount);
  });
});

/**
 * What the payout-id check and mark cost per payout, from an opcode trace of the batch (traced as
 * a call before it is sent: anvil keeps no steps of mined transactions unless started with
 * --steps-tracing): the gas of every SLOAD and SSTORE of a paid[payoutId] slot (mapping slot 2).
 */
async function exactlyOnceGas(id: Hex, items: Payout[]) {
  const slots = new Set(items.map((p) => keccak256(encodeAbiParameters([{ type: "bytes32" }, { type: "uint256" }], [p.payoutId, 2n]))));
  const data = encodeFunctionData({ abi: RevenueDistributorAbi, functionName: "payBatch", args: [id, dusd, treasury.address, items] });
  const trace = (await publicClient.request({
    method: "debug_traceCall" as any,
    params: [{ from: owner.address, to: distributor, data }, "latest", { disableMemory: true, disableStorage: true }] as any,
  })) as { structLogs: { op: string; depth: number; gasCost: number; stack?: string[] }[] };
  let gas = 0;
  let ops = 0;
  for (const step of trace.structLogs) {
    if (step.depth !== 1 || (step.op !== "SLOAD" && step.op !== "SSTORE") || !step.stack) continue;
    if (slots.has(toHex(BigInt(step.stack.at(-1)!), { size: 32 }))) {
      gas += step.gasCost;
      ops++;
    }
  }
  // Each: the check's SLOAD, and the mark's SLOAD + SSTORE (solc writes a bool into its slot read-modify-write).
  expect(ops).toBe(3 * items.length);
  return gas / items.length;
}

describe("gas", () => {
  const perHolder: Record<number, bigint> = {};

  it("push: gas per holder for batches of 1, 10, 100 and 200 fresh holders, and the exactly-once check's share", async () => {
    const gasUsed: Record<number, bigint> = {};
    for (const n of [1, 10, 100, 200]) {
      const items = payouts(n, `gas push ${n}`);
      const { id } = await declare(items);
      if (n === 10) console.log(`exactly-once check: ${await exactlyOnceGas(id, items)} gas per payout`);
      const receipt = await pay(id, items);
      gasUsed[n] = receipt.gasUsed;
      perHolder[n] = receipt.gasUsed / BigInt(n);
    }
    // Again to the same 100 holders (balances already nonzero): what a second period costs.
    const again = payouts(100, "gas push 100").map((p) => ({ ...p, payoutId: settlementId(randomUUID()) }));
    const { id } = await declare(again);
    const warm = await pay(id, again);
    console.log(
      `push gas per holder: ${[1, 10, 100, 200].map((n) => `${n} → ${perHolder[n]} (batch ${gasUsed[n]})`).join(", ")}; ` +
        `100 holders already holding dUSD → ${warm.gasUsed / 100n}`,
    );
    expect(perHolder[200]!).toBeLessThan(perHolder[1]!);

    const block = await publicClient.getBlock();
    const marginal = (gasUsed[200]! - gasUsed[100]!) / 100n;
    const fixed = gasUsed[100]! - 100n * marginal;
    const maxHolders = (block.gasLimit / 2n - fixed) / marginal;
    const items = payouts(Number(maxHolders), "gas push max");
    const { id: maxId } = await declare(items);
    const max = await pay(maxId, items);
    console.log(
      `block gas limit ${block.gasLimit}; marginal ${marginal} gas per holder, fixed ${fixed}; ` +
        `largest push batch under half the block: ${maxHolders} holders (${max.gasUsed} gas)`,
    );
    expect(max.gasUsed).toBeLessThanOrEqual(block.gasLimit / 2n);
  });

  it("pull: declare once, then one claim per holder (the holder or a relayer pays its gas)", async () => {
    for (const n of [10, 100, 1000]) {
      const leaves = payouts(n, `gas pull ${n}`).map(({ tranche, holder, amount }) => ({ tranche, holder, amount }));
      const tree = merkleTree(leaves);
      const id = settlementId(randomUUID());
      const total = leaves.reduce((s, l) => s + l.amount, 0n);
      const declared = await send(
        ownerWallet.writeContract({
          address: distributor,
          abi: RevenueDistributorAbi,
          functionName: "declareMerkle",
          args: [id, dusd, treasury.address, tree.root, total, BigInt(n)],
        }),
      );
      const claims: bigint[] = [];
      for (const index of [0, Math.floor(n / 2), n - 1]) {
        const l = leaves[index]!;
        const receipt = await send(
          ownerWallet.writeContract({
            address: distributor,
            abi: RevenueDistributorAbi,
            functionName: "claim",
            args: [id, l.tranche, l.holder, l.amount, tree.proof(index)],
          }),
        );
        claims.push(receipt.gasUsed);
      }
      const claim = claims.reduce((s, g) => s + g, 0n) / BigInt(claims.length);
      console.log(
        `pull, ${n} holders: declare ${declared.gasUsed} gas, one claim ${claim} gas (proof of ${tree.proof(0).length}), ` +
          `per holder ${declared.gasUsed / BigInt(n) + claim}`,
      );
    }
  });
});
