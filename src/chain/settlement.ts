/**
 * The chain side of delivery versus payment: the gateway's DvpSettlement contract (deployed
 * once per chain and signer, then reused), the development stablecoin, ERC-20 reads and the
 * calldata of settlement batches. Plain functions over `ChainClients`; no domain knowledge.
 */
import { and, eq } from "drizzle-orm";
import {
  BaseError as ViemBaseError,
  HttpRequestError,
  TimeoutError,
  encodeDeployData,
  encodeFunctionData,
  erc20Abi,
  getAddress,
  parseAbi,
  parseEventLogs,
  type Log,
  type Abi,
  type Address,
  type Hex,
} from "viem";
import type { ChainClients } from "./client.js";
import { chainContract } from "./table.js";
import { DataAssetTokenAbi } from "./generated/DataAssetToken.js";
import { DevStablecoinAbi, DevStablecoinBytecode } from "./generated/DevStablecoin.js";
import { DvpSettlementAbi, DvpSettlementBytecode } from "./generated/DvpSettlement.js";
import { RevenueDistributorAbi, RevenueDistributorBytecode } from "./generated/RevenueDistributor.js";
import { sendSignerTransaction } from "./token.js";
import { DeployRevertedError } from "./errors.js";
import type { WriteOwner } from "./writes.js";
import { ChainUnavailableError } from "../errors.js";

export { DevStablecoinAbi, DvpSettlementAbi, RevenueDistributorAbi };

/**
 * Every custom error a settlement can meet, for decoding reverts: the settlement's own (and
 * SafeERC20's), the tranche token's (NotWhitelisted, EnforcedPause…) and OpenZeppelin's ERC-20
 * errors (ERC20InsufficientBalance, ERC20InsufficientAllowance) that a stablecoin raises.
 */
export const SETTLEMENT_ERRORS_ABI = [
  ...DvpSettlementAbi,
  ...DataAssetTokenAbi.filter((item) => item.type === "error"),
  ...DevStablecoinAbi.filter((item) => item.type === "error"),
] as Abi;

/** A permit relayed with a subscription; deadline 0 means none (the investor approved beforehand). */
export type PermitArgs = { value: bigint; deadline: bigint; v: number; r: Hex; s: Hex };
export const NO_PERMIT: PermitArgs = { value: 0n, deadline: 0n, v: 0, r: `0x${"0".repeat(64)}`, s: `0x${"0".repeat(64)}` };

export type SubscriptionItem = { id: Hex; investor: Address; amount: bigint; cost: bigint; permit: PermitArgs };
export type RedemptionItem = { id: Hex; holder: Address; amount: bigint; payout: bigint };

/** A registry UUID as the bytes32 the settlement contract names it by in its events. */
export function settlementId(uuid: string): Hex {
  return `0x${uuid.replaceAll("-", "").padEnd(64, "0")}`;
}

export function subscribeBatchArgs(token: Address, currency: Address, treasury: Address, items: SubscriptionItem[]) {
  return [token, currency, treasury, items] as const;
}

export function subscribeBatchData(token: Address, currency: Address, treasury: Address, items: SubscriptionItem[]): Hex {
  return encodeFunctionData({
    abi: DvpSettlementAbi,
    functionName: "subscribeBatch",
    args: subscribeBatchArgs(token, currency, treasury, items),
  });
}

export function redeemBatchData(token: Address, currency: Address, treasury: Address, items: RedemptionItem[]): Hex {
  return encodeFunctionData({ abi: DvpSettlementAbi, functionName: "redeemBatch", args: [token, currency, treasury, items] });
}

/** Records a once-per-chain contract when its deployment settles, whoever settles it (the deployer, or a worker's sweep after a crash). */
export const chainContractOwner: WriteOwner = {
  async settle(tx, write, outcome) {
    const name = write.subject.contract as string | undefined;
    if (!name || outcome.status !== "CONFIRMED" || !outcome.receipt.contractAddress) return;
    await tx
      .insert(chainContract)
      .values({
        chainId: write.chainId,
        signer: write.signer,
        name,
        address: getAddress(outcome.receipt.contractAddress),
        deployTxHash: outcome.receipt.transactionHash,
      })
      .onConflictDoNothing();
  },
};

async function recorded(chain: ChainClients, name: string): Promise<Address | undefined> {
  const db = chain.nonceStore;
  if (!db) return undefined;
  const [row] = await db
    .select({ address: chainContract.address })
    .from(chainContract)
    .where(and(eq(chainContract.chainId, chain.chainId), eq(chainContract.signer, chain.account.address), eq(chainContract.name, name)));
  return row ? (row.address as Address) : undefined;
}

/** In-process deployments under way, so concurrent callers of one process share one. */
const deploying = new Map<string, Promise<Address>>();

/**
 * The address of the contract `name` this signer deployed on this chain, deploying it through
 * the chain-write pipeline the first time. Two processes racing may both deploy; the first
 * settlement recorded wins and both answer it.
 */
async function ensureDeployed(chain: ChainClients, name: string, data: Hex): Promise<Address> {
  const known = await recorded(chain, name);
  if (known) return known;
  const key = `${chain.chainId}:${chain.account.address}:${name}`;
  let pending = deploying.get(key);
  if (!pending) {
    pending = (async () => {
      const settled = await sendSignerTransaction(
        chain,
        { data },
        { kind: `DEPLOY_CONTRACT`, subject: { contract: name }, owner: chainContractOwner },
      );
      if (settled.status !== "CONFIRMED" || !settled.contractAddress) {
        throw new DeployRevertedError(settled.revertReason ?? "no contract was created", settled.minedTxHash);
      }
      // Without a database (a bare client) nothing is recorded: the fresh deployment is the answer.
      return (await recorded(chain, name)) ?? getAddress(settled.contractAddress);
    })().finally(() => deploying.delete(key));
    deploying.set(key, pending);
  }
  return pending;
}

/** The gateway's DvP settlement contract on this chain (its owner is the gateway's signer). */
export function ensureSettlementContract(chain: ChainClients): Promise<Address> {
  return ensureDeployed(
    chain,
    "DvpSettlement",
    encodeDeployData({ abi: DvpSettlementAbi, bytecode: DvpSettlementBytecode, args: [chain.account.address] }),
  );
}

/** The settlement contract already deployed on this chain by this signer, if any (a read: never deploys). */
export function recordedSettlementContract(chain: ChainClients): Promise<Address | undefined> {
  return recorded(chain, "DvpSettlement");
}

/** The gateway's revenue distributor on this chain (its owner is the gateway's signer): it pays distributions from the treasury. */
export function ensureDistributorContract(chain: ChainClients): Promise<Address> {
  return ensureDeployed(
    chain,
    "RevenueDistributor",
    encodeDeployData({ abi: RevenueDistributorAbi, bytecode: RevenueDistributorBytecode, args: [chain.account.address] }),
  );
}

/** The distributor already deployed on this chain by this signer, if any (a read: never deploys). */
export function recordedDistributorContract(chain: ChainClients): Promise<Address | undefined> {
  return recorded(chain, "RevenueDistributor");
}

export type PayoutItem = { payoutId: Hex; tranche: Address; holder: Address; amount: bigint };

export function declareDistributionData(
  id: Hex,
  currency: Address,
  treasury: Address,
  holders: bigint,
  tranches: Address[],
  totals: bigint[],
): Hex {
  return encodeFunctionData({
    abi: RevenueDistributorAbi,
    functionName: "declare",
    args: [id, currency, treasury, holders, tranches, totals],
  });
}

export function payBatchData(id: Hex, currency: Address, treasury: Address, items: PayoutItem[]): Hex {
  return encodeFunctionData({ abi: RevenueDistributorAbi, functionName: "payBatch", args: [id, currency, treasury, items] });
}

/** The development stablecoin ("dUSD", 6 decimals, a public faucet): embedded defaults only. */
export function ensureDevStablecoin(chain: ChainClients): Promise<Address> {
  return ensureDeployed(chain, "DevStablecoin", encodeDeployData({ abi: DevStablecoinAbi, bytecode: DevStablecoinBytecode }));
}

/** An ERC-20's decimals and symbol, read from the chain; undefined when the address answers no ERC-20. */
export async function readErc20(chain: ChainClients, token: Address): Promise<{ decimals: number; symbol: string } | undefined> {
  try {
    const [decimals, symbol] = await Promise.all([
      chain.publicClient.readContract({ address: token, abi: erc20Abi, functionName: "decimals" }),
      chain.publicClient.readContract({ address: token, abi: erc20Abi, functionName: "symbol" }),
    ]);
    return { decimals, symbol };
  } catch (error) {
    // A contract that is not an ERC-20 (or no contract) reverts or returns nothing; an unreachable node is not that.
    if (error instanceof ViemBaseError && error.walk((e) => e instanceof HttpRequestError || e instanceof TimeoutError)) {
      throw new ChainUnavailableError("the chain could not be reached to read the settlement token", { cause: error });
    }
    return undefined;
  }
}

/** The treasury's balance and what it allowed the settlement contract to spend: at most the smaller can be paid out. */
export async function treasuryFunds(chain: ChainClients, currency: Address, treasury: Address, settlement: Address) {
  const [balance, allowance] = await Promise.all([
    chain.publicClient.readContract({ address: currency, abi: erc20Abi, functionName: "balanceOf", args: [treasury] }),
    chain.publicClient.readContract({ address: currency, abi: erc20Abi, functionName: "allowance", args: [treasury, settlement] }),
  ]);
  return { balance, allowance, payable: balance < allowance ? balance : allowance };
}

/** EIP-2612's permit, to simulate one on its own before relaying it (inside the batch a refusal is swallowed). */
export const PERMIT_ABI = parseAbi([
  "function permit(address owner, address spender, uint256 value, uint256 deadline, uint8 v, bytes32 r, bytes32 s)",
  "function nonces(address owner) view returns (uint256)",
]);

/** A venue trade as both parties sign it (DvpSettlement.Trade): `amount` token base units for `price` currency base units. */
export type TradeTerms = {
  tradeId: Hex;
  venueId: Hex;
  token: Address;
  seller: Address;
  buyer: Address;
  amount: bigint;
  currency: Address;
  price: bigint;
  /** Unix seconds. */
  deadline: bigint;
};

/** The EIP-712 types of a trade, field for field the contract's TRADE_TYPEHASH. */
export const TRADE_TYPES = {
  Trade: [
    { name: "tradeId", type: "bytes32" },
    { name: "venueId", type: "bytes32" },
    { name: "token", type: "address" },
    { name: "seller", type: "address" },
    { name: "buyer", type: "address" },
    { name: "amount", type: "uint256" },
    { name: "currency", type: "address" },
    { name: "price", type: "uint256" },
    { name: "deadline", type: "uint256" },
  ],
} as const;

/**
 * The typed data seller and buyer each sign for `settleTrade` (domain: the settlement contract,
 * name "DvpSettlement", version "1", the chain's id).
 * @example const signature = await account.signTypedData(tradeTypedData({ chainId, settlement, trade }));
 */
export function tradeTypedData(params: { chainId: number; settlement: Address; trade: TradeTerms }) {
  return {
    domain: { name: "DvpSettlement", version: "1", chainId: params.chainId, verifyingContract: params.settlement },
    types: TRADE_TYPES,
    primaryType: "Trade" as const,
    message: params.trade,
  };
}

export function settleTradeArgs(trade: TradeTerms, sellerSignature: Hex, buyerSignature: Hex) {
  return [trade, sellerSignature, buyerSignature] as const;
}

export function settleTradeData(trade: TradeTerms, sellerSignature: Hex, buyerSignature: Hex): Hex {
  return encodeFunctionData({
    abi: DvpSettlementAbi,
    functionName: "settleTrade",
    args: settleTradeArgs(trade, sellerSignature, buyerSignature),
  });
}

/** The TradeSettled events among a receipt's logs (from the settlement contract only). */
export function tradeSettledEvents(settlement: Address, logs: readonly Log[]) {
  return parseEventLogs({ abi: DvpSettlementAbi, eventName: "TradeSettled", logs: logs as Log[] }).filter(
    (e) => e.address.toLowerCase() === settlement.toLowerCase(),
  );
}
