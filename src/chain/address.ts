/**
 * EVM address input. Apart from validation.ts because it needs viem, which takes a noticeable
 * time to load: the import CLI and other short-lived processes that never see an address skip it.
 */
import { z } from "zod";
import { getAddress, isAddress } from "viem";

/**
 * An EVM address, returned EIP-55 checksummed. All-lowercase or all-uppercase hex carries no
 * checksum and is accepted; mixed case is a checksum (EIP-55) and must match it: a mistyped
 * digit in a checksummed address is refused, not silently "corrected" to another address.
 * @example addressSchema.parse("0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266") // "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
 */
export const addressSchema = z.string().transform((value, ctx) => {
  if (!isAddress(value, { strict: false })) {
    ctx.addIssue({ code: "custom", message: "must be a 20-byte hex address: 0x and 40 hex digits" });
    return z.NEVER;
  }
  const digits = value.slice(2);
  const mixedCase = digits !== digits.toLowerCase() && digits !== digits.toUpperCase();
  if (mixedCase && !isAddress(value, { strict: true })) {
    ctx.addIssue({
      code: "custom",
      message: "has a wrong EIP-55 checksum (mixed case must match it; send all-lowercase hex to skip the check)",
    });
    return z.NEVER;
  }
  return getAddress(value);
});
