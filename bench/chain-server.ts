// The dev chain (anvil, in memory) behind a small launcher, as a production gateway would reach a node:
// the server under test then carries no chain in its memory or on its event loop.
// usage: tsx bench/chain-server.ts <port>
import { startDevChain } from "../src/chain/dev-chain.js";

const chain = await startDevChain({ port: Number(process.argv[2]) });
console.log(`READY ${chain.rpcUrl}`);
process.on("SIGTERM", () => void chain.close().then(() => process.exit(0)));
