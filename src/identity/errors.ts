/**
 * Identity errors. Each refusal has its own stable code, so a client (and an auditor)
 * can tell an untrusted issuer from a forged credential from a replayed sign-in.
 */
import { BaseError } from "../errors.js";

/** The credential's issuer DID is not registered as a trusted issuer. */
export class CredentialIssuerUntrustedError extends BaseError {
  readonly code = "CREDENTIAL_ISSUER_UNTRUSTED";
  override name = "CredentialIssuerUntrustedError";
  constructor(readonly issuer: string) {
    super(`credential issuer ${issuer} is not a trusted issuer`);
  }
}

/** The credential is not a valid VC JWT: malformed, tampered (bad signature), expired or missing required claims. */
export class CredentialInvalidError extends BaseError {
  readonly code = "CREDENTIAL_INVALID";
  override name = "CredentialInvalidError";
}

/** The credential names another chain than the one this gateway issues on (or none). */
export class CredentialWrongChainError extends BaseError {
  readonly code = "CREDENTIAL_WRONG_CHAIN";
  override name = "CredentialWrongChainError";
  constructor(
    readonly expectedChainId: number,
    readonly credentialChainId: string | null,
  ) {
    super(
      credentialChainId == null
        ? `credential names no chain id; this gateway needs one for chain ${expectedChainId}`
        : `credential is valid for chain ${credentialChainId}, not ${expectedChainId}`,
    );
  }
}

/** The credential is about another DID than the investor's. */
export class CredentialSubjectMismatchError extends BaseError {
  readonly code = "CREDENTIAL_SUBJECT_MISMATCH";
  override name = "CredentialSubjectMismatchError";
}

/** The SIWE nonce was not issued for this investor, was already used, or has expired. */
export class SiweNonceInvalidError extends BaseError {
  readonly code = "SIWE_NONCE_INVALID";
  override name = "SiweNonceInvalidError";
}

/** The SIWE message was signed for another domain than the gateway's. */
export class SiweDomainMismatchError extends BaseError {
  readonly code = "SIWE_DOMAIN_MISMATCH";
  override name = "SiweDomainMismatchError";
}

/** The SIWE message is malformed, for another address or chain, or outside its validity window. */
export class SiweMessageInvalidError extends BaseError {
  readonly code = "SIWE_MESSAGE_INVALID";
  override name = "SiweMessageInvalidError";
}

/** A wallet signed in (its signature holds) that no investor is registered with. */
export class WalletNotRegisteredError extends BaseError {
  readonly code = "WALLET_NOT_REGISTERED";
  override name = "WalletNotRegisteredError";
}

/** The signature does not prove control of the wallet named in the message. */
export class SiweSignatureInvalidError extends BaseError {
  readonly code = "SIWE_SIGNATURE_INVALID";
  override name = "SiweSignatureInvalidError";
}
