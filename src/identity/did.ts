/**
 * W3C DID syntax for the methods the gateway accepts as investor identities: `did:key`,
 * `did:pkh` (CAIP-10 account ids) and `did:web`. Syntax only: nothing here resolves a DID.
 */
import { z } from "zod";

/** did:key: a multibase base58btc (`z…`) encoded multicodec public key. */
const DID_KEY = /^did:key:z[1-9A-HJ-NP-Za-km-z]{40,200}$/;
/** did:pkh: a CAIP-10 account id, `namespace:reference:address` (e.g. eip155:1:0xab…). */
const DID_PKH = /^did:pkh:[-a-z0-9]{3,8}:[-_a-zA-Z0-9]{1,32}:[-.%a-zA-Z0-9]{1,128}$/;
/** did:web: a host name (a port percent-encoded as %3A) and optional colon-separated path segments. */
const DID_WEB =
  /^did:web:(?=.{1,253}(?::|%3A|$))[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*(?:%3A[0-9]{1,5})?(?::[A-Za-z0-9._~%-]+)*$/i;

export const DID_METHODS = ["key", "pkh", "web"] as const;
export type DidMethod = (typeof DID_METHODS)[number];

/** The method of a syntactically valid DID of an accepted method, or undefined. */
export function didMethod(did: string): DidMethod | undefined {
  if (DID_KEY.test(did)) return "key";
  if (DID_PKH.test(did)) return "pkh";
  if (DID_WEB.test(did)) return "web";
  return undefined;
}

/**
 * A DID of an accepted method (`did:key`, `did:pkh`, `did:web`), syntax checked.
 * @example identityDidSchema.parse("did:pkh:eip155:1:0xb9c5714089478a327f09197987f16f9e5d936e8a");
 */
export const identityDidSchema = z
  .string()
  .max(500)
  .refine((v) => didMethod(v) !== undefined, "must be a did:key, did:pkh (CAIP-10) or did:web DID");
