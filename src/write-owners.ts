/**
 * Who settles each kind of chain write when a worker resumes it after its caller is gone
 * (a crash, a wait that ran out). Mint batches are settled by the mint worker itself; a
 * kind missing here (a token call) is settled with no domain effect of its own.
 */
import type { WriteOwner } from "./chain/writes.js";
import { trancheTokenOwner } from "./offerings/service.js";

export const WRITE_OWNERS: Record<string, WriteOwner> = { DEPLOY_TOKEN: trancheTokenOwner };
