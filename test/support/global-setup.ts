/**
 * One embedded dev chain for the whole test run, reached over real JSON-RPC on loopback.
 * Each test worker signs with its own funded account, so parallel files never share a nonce.
 */
import type { TestProject } from "vitest/node";
import { startDevChain, type DevChain } from "../../src/chain/dev-chain.js";

let chain: DevChain | undefined;

export async function setup(project: TestProject) {
  chain = await startDevChain({ port: 0 });
  project.provide("rpcUrl", chain.rpcUrl);
}

export async function teardown() {
  await chain?.close();
}

declare module "vitest" {
  export interface ProvidedContext {
    rpcUrl: string;
  }
}
