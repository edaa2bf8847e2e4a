/**
 * EVM address input. Apart from validation.ts because it needs viem, which takes a noticeable
 * time to load: the import CLI and other short-lived processes that never see an address skip it.
 */
import { z } from "zod";
import { getAddress, isAddress } from "viem";

/** An EVM address, returned EIP-55 checksummed. */
export const addressSchema = z
  .string()
  .refine((v) => isAddress(v, { strict: false }), "must be a 20-byte hex address")
  .transform((v) => getAddress(v));
