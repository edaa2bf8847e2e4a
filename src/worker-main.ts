/**
 * `npm run worker`: the mint, settlement and distribution workers alone, with the same configuration as `npm start`, so
 * an operator scales API and workers separately (run the API with WORKER_ENABLED=false).
 * Workers on any number of machines share one PostgreSQL database safely, so this needs
 * DATABASE_URL (PGlite is one process) and CHAIN_RPC_URL + SIGNER_PRIVATE_KEY.
 */
import pino from "pino";
import { loadConfigOrExit } from "./config.js";
import { openDatabase } from "./db/index.js";
import { attachNonceStore, connectChain, logChainUnreachable } from "./chain/client.js";
import { checkChainBindingOrExit } from "./indexer/binding.js";
import { startMintWorker } from "./minting/worker.js";
import { WRITE_OWNERS } from "./write-owners.js";
import { startSettlementWorker } from "./settlement/worker.js";
import { startDistributionWorker } from "./distribution/worker.js";

async function main() {
  const config = loadConfigOrExit();
  const missing = !config.databaseUrl ? "DATABASE_URL" : config.chain.kind !== "external" ? "CHAIN_RPC_URL" : undefined;
  if (missing || !config.databaseUrl || config.chain.kind !== "external") {
    console.error(`Invalid configuration:\n  ${missing}: is required for a separate worker process`);
    process.exit(2);
  }
  const logger = pino({ level: config.logLevel });
  // A chain that is down at start is waited for: the worker keeps its process and says why it waits.
  const chain = await connectChain({
    rpcUrl: config.chain.rpcUrl,
    signerPrivateKey: config.chain.signerPrivateKey,
    untilReachable: true,
    onUnreachable: logChainUnreachable(logger),
  });
  const database = await openDatabase({ url: config.databaseUrl });
  // The same refusal as npm start's: never mint against a chain the database's rows were not written on.
  await checkChainBindingOrExit(database.db, chain, () => database.close());
  attachNonceStore(chain, database.db, logger);
  const worker = startMintWorker({
    db: database.db,
    chain,
    logger,
    confirmations: config.mintConfirmations,
    listen: database.listen,
    writeOwners: WRITE_OWNERS,
    ...config.mintWorker,
  });
  const settlementWorker = startSettlementWorker({
    db: database.db,
    chain,
    logger,
    confirmations: config.mintConfirmations,
    batchSize: config.mintWorker.batchSize,
    stuckAfterMs: config.mintWorker.stuckAfterMs,
    receiptPollMs: config.mintWorker.receiptPollMs,
    pollIntervalMs: config.mintWorker.pollIntervalMs,
    listen: database.listen,
  });
  const distributionWorker = startDistributionWorker({
    db: database.db,
    chain,
    logger,
    confirmations: config.mintConfirmations,
    stuckAfterMs: config.mintWorker.stuckAfterMs,
    receiptPollMs: config.mintWorker.receiptPollMs,
    pollIntervalMs: config.mintWorker.pollIntervalMs,
    listen: database.listen,
  });
  logger.info({ workerId: worker.id, chainId: chain.chainId, signer: chain.account.address }, "mint worker started");

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, "mint worker stopping");
    await worker.stop();
    await settlementWorker.stop();
    await distributionWorker.stop();
    await database.close();
    process.exit(0);
  };
  process.on("SIGINT", () => void shutdown("SIGINT"));
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
