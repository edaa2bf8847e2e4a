/**
 * `npm start`: the whole gateway in one process. On embedded defaults it opens PGlite in
 * DATA_DIR, starts the dev chain (anvil) on loopback with its state in DATA_DIR/chain, seeds
 * demo organizations and prints a token per role. With DATABASE_URL / CHAIN_RPC_URL it uses
 * those instead. It refuses to start (exit code 2) on a chain that is not the one the
 * database's records were written on.
 */
import pino from "pino";
import { loadConfigOrExit } from "./config.js";
import { openDatabase } from "./db/index.js";
import { devChainSignerKey, startDevChain, type DevChain } from "./chain/dev-chain.js";
import { connectChain, logChainUnreachable } from "./chain/client.js";
import { checkChainBindingOrExit } from "./indexer/binding.js";
import { startGateway } from "./gateway.js";
import { demoShellLines, seedDemo } from "./demo.js";
import { ensureDevStablecoin, ensureSettlementContract } from "./chain/settlement.js";

/** The embedded chain once started: a start that fails later must not leave it running. */
let devChain: DevChain | undefined;

async function main() {
  const config = loadConfigOrExit();
  const logger = pino({ level: config.logLevel });
  if (config.usingDevSecrets) logger.warn("JWT_SECRET is not set: using the built-in development secret");

  let rpcUrl: string;
  let signerKey: `0x${string}`;
  if (config.chain.kind === "embedded") {
    devChain = await startDevChain({ port: config.chain.port, stateFile: config.chain.stateFile });
    rpcUrl = devChain.rpcUrl;
    signerKey = devChainSignerKey(0);
    logger.info({ rpcUrl, stateFile: config.chain.stateFile }, "embedded dev chain (anvil) started; JSON-RPC served on loopback");
  } else {
    rpcUrl = config.chain.rpcUrl;
    signerKey = config.chain.signerPrivateKey;
  }
  // An external chain that is down at start is waited for, saying why, instead of exiting.
  const chain = await connectChain({
    rpcUrl,
    signerPrivateKey: signerKey,
    untilReachable: true,
    onUnreachable: logChainUnreachable(logger),
  });

  const database = await openDatabase({ url: config.databaseUrl, dataDir: config.dataDir });
  logger.info({ driver: database.driver, dataDir: config.databaseUrl ? undefined : config.dataDir }, "database ready");

  await checkChainBindingOrExit(database.db, chain, async () => {
    await database.close();
    await devChain?.close();
  });

  const gateway = await startGateway({
    db: database.db,
    listen: database.listen,
    chain,
    jwtSecret: config.jwtSecret,
    port: config.port,
    host: config.host,
    production: config.env === "production",
    mintConfirmations: config.mintConfirmations,
    mintWorker: config.mintWorker,
    workerEnabled: config.workerEnabled,
    siweDomain: config.siweDomain,
    investorSessionSeconds: config.investorSessionSeconds,
    introspection: config.introspection,
    playground: config.playground,
    metricsToken: config.metricsToken,
    kycSweepIntervalMs: config.kycSweepIntervalMs,
    webhookSecret: config.webhookSecret,
    finalityDepth: config.finalityDepth,
    indexer: { ...config.indexer, reconcileIntervalSeconds: config.reconcileIntervalSeconds },
    logger,
  });
  if (config.chain.kind === "embedded") {
    // The development settlement currency and the DvP contract, deployed once (kept across restarts with the chain's state).
    const [dusd, settlement] = await Promise.all([ensureDevStablecoin(chain), ensureSettlementContract(chain)]);
    console.log(
      "Development stablecoin (dUSD, 6 decimals, EIP-2612 permits; faucet(address,uint256) hands out up to 1,000,000 dUSD a call)" +
        " and the DvP settlement contract (the spender investors sign permits for):\n" +
        `export DUSD=${dusd}\nexport SETTLEMENT=${settlement}\n`,
    );
  }
  logger.info({ url: `${gateway.url}/graphql`, chainId: chain.chainId, signer: chain.account.address }, "gateway listening");

  // Plain line for people and scripts, whatever the log level.
  console.log(`Data Asset Gateway listening on ${gateway.url} — playground: ${gateway.url}/graphql`);

  if (!config.databaseUrl && config.env !== "production") {
    const identities = await seedDemo(database.db, config.jwtSecret);
    console.log(
      "\nDemo identities (tokens valid 7 days), ready for the tour in README.md: paste these lines into a shell," +
        " then send a token as `authorization: Bearer $OWNER`. The ADMIN token also carries INDEXER.\n" +
        `${demoShellLines(identities, gateway.url)}\n`,
    );
  }
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, "shutting down");
    await gateway.close();
    await database.close();
    await devChain?.close();
    process.exit(0);
  };
  process.on("SIGINT", () => void shutdown("SIGINT"));
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
}

main().catch(async (error) => {
  console.error(error);
  await devChain?.close();
  process.exit(1);
});
