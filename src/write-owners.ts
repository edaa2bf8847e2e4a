/**
 * Who settles each kind of chain write when a worker resumes it after its caller is gone
 * (a crash, a wait that ran out). Mint batches are settled by the mint worker itself (and DvP
 * batches by the settlement worker, whose owners are listed here for the sweep too); a
 * kind missing here (a token call) is settled with no domain effect of its own.
 */
import type { WriteOwner } from "./chain/writes.js";
import { trancheTokenOwner } from "./offerings/service.js";
import { chainContractOwner } from "./chain/settlement.js";
import { SETTLEMENT_WRITE_OWNERS } from "./settlement/worker.js";
import { DISTRIBUTION_WRITE_OWNERS } from "./distribution/worker.js";
import { VENUE_WRITE_OWNERS } from "./venues/service.js";

export const WRITE_OWNERS: Record<string, WriteOwner> = {
  DEPLOY_TOKEN: trancheTokenOwner,
  DEPLOY_CONTRACT: chainContractOwner,
  ...SETTLEMENT_WRITE_OWNERS,
  ...DISTRIBUTION_WRITE_OWNERS,
  ...VENUE_WRITE_OWNERS,
};
