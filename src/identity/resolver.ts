/**
 * Offline DID resolution for credential issuers. `did:pkh` over eip155 needs no network: its
 * document is derived from the DID itself (a secp256k1 recovery method bound to the account),
 * so a credential signed with ES256K-R verifies against the address. Other methods are not
 * resolved here: the gateway never fetches a DID document over the network.
 */
import { Resolver, type DIDResolutionResult, type ParsedDID } from "did-resolver";
import { isAddress } from "viem";

const notFound = (message: string): DIDResolutionResult => ({
  didResolutionMetadata: { error: "notFound", message },
  didDocumentMetadata: {},
  didDocument: null,
});

/** Resolves `did:pkh:eip155:<chain>:<address>` to its derived DID document. */
async function resolvePkh(did: string, parsed: ParsedDID): Promise<DIDResolutionResult> {
  const [namespace, reference, address] = parsed.id.split(":");
  if (namespace !== "eip155" || !reference || !address || !isAddress(address, { strict: false })) {
    return notFound(`only did:pkh:eip155 accounts are resolved, not ${did}`);
  }
  const vm = `${did}#blockchainAccountId`;
  return {
    didResolutionMetadata: { contentType: "application/did+ld+json" },
    didDocumentMetadata: {},
    didDocument: {
      "@context": ["https://www.w3.org/ns/did/v1"],
      id: did,
      verificationMethod: [
        {
          id: vm,
          type: "EcdsaSecp256k1RecoveryMethod2020",
          controller: did,
          blockchainAccountId: `eip155:${reference}:${address}`,
        },
      ],
      authentication: [vm],
      assertionMethod: [vm],
    },
  };
}

/** The resolver used to verify credential signatures. */
export const issuerResolver = new Resolver({ pkh: resolvePkh });
