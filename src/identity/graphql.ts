import { builder } from "../graphql/builder.js";
import { ErrorInterface } from "../graphql/common.js";
import { InvestorRef } from "../investors/graphql.js";
import { listTrustedIssuers, registerTrustedIssuer, submitKycCredential, type TrustedIssuer } from "./credentials.js";
import { proveWalletControl, requestWalletChallenge, type WalletChallenge } from "./siwe.js";
import { requestSignInChallenge, signInWithEthereum, type InvestorSignIn, type SignInChallenge } from "./sign-in.js";
import { KycNotVerifiedError, WalletNotProvenError } from "../investors/service.js";
import {
  CredentialInvalidError,
  CredentialIssuerUntrustedError,
  CredentialSubjectMismatchError,
  CredentialWrongChainError,
  SiweDomainMismatchError,
  SiweMessageInvalidError,
  SiweNonceInvalidError,
  SiweSignatureInvalidError,
  WalletNotRegisteredError,
} from "./errors.js";

const errorType = { interfaces: [ErrorInterface] };
builder.objectType(CredentialIssuerUntrustedError, {
  ...errorType,
  name: "CredentialIssuerUntrustedError",
  fields: (t) => ({ issuer: t.exposeString("issuer") }),
});
builder.objectType(CredentialInvalidError, { ...errorType, name: "CredentialInvalidError" });
builder.objectType(CredentialWrongChainError, {
  ...errorType,
  name: "CredentialWrongChainError",
  fields: (t) => ({
    expectedChainId: t.exposeInt("expectedChainId"),
    credentialChainId: t.exposeString("credentialChainId", { nullable: true }),
  }),
});
builder.objectType(CredentialSubjectMismatchError, { ...errorType, name: "CredentialSubjectMismatchError" });
builder.objectType(SiweNonceInvalidError, { ...errorType, name: "SiweNonceInvalidError" });
builder.objectType(SiweDomainMismatchError, { ...errorType, name: "SiweDomainMismatchError" });
builder.objectType(SiweMessageInvalidError, { ...errorType, name: "SiweMessageInvalidError" });
builder.objectType(SiweSignatureInvalidError, { ...errorType, name: "SiweSignatureInvalidError" });
builder.objectType(WalletNotRegisteredError, { ...errorType, name: "WalletNotRegisteredError" });

const TrustedIssuerRef = builder.objectRef<TrustedIssuer>("TrustedIssuer").implement({
  description: "An issuer DID whose KYC credentials the gateway accepts.",
  fields: (t) => ({
    id: t.exposeID("id"),
    did: t.exposeString("did"),
    name: t.exposeString("name"),
    registeredBy: t.exposeString("registeredBy"),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
  }),
});

const WalletChallengeRef = builder.objectRef<WalletChallenge>("WalletChallenge").implement({
  description: "A Sign-In with Ethereum (EIP-4361) challenge: the wallet signs `message` as is (personal_sign).",
  fields: (t) => ({
    investorId: t.exposeID("investorId"),
    nonce: t.exposeString("nonce"),
    message: t.exposeString("message"),
    expiresAt: t.expose("expiresAt", { type: "DateTime" }),
  }),
});

builder.mutationField("registerTrustedIssuer", (t) =>
  t.field({
    type: TrustedIssuerRef,
    description: "Trusts an issuer DID for KYC credentials. COMPLIANCE_OFFICER.",
    authScopes: { anyRole: ["COMPLIANCE_OFFICER"] },
    errors: {},
    args: { did: t.arg.string({ required: true }), name: t.arg.string({ required: true }) },
    resolve: (_root, args, ctx) => registerTrustedIssuer(ctx, args),
  }),
);

builder.mutationField("submitKycCredential", (t) =>
  t.field({
    type: InvestorRef,
    description:
      "Verifies a KYC Verifiable Credential (JWT) from a trusted issuer, for the investor's DID and this chain, and records the KYC as VERIFIED until the credential expires. COMPLIANCE_OFFICER.",
    authScopes: { anyRole: ["COMPLIANCE_OFFICER"] },
    errors: { types: [CredentialIssuerUntrustedError, CredentialInvalidError, CredentialWrongChainError, CredentialSubjectMismatchError] },
    args: {
      investorId: t.arg.id({ required: true }),
      credential: t.arg.string({ required: true, description: "The VC as a compact JWT" }),
    },
    resolve: (_root, args, ctx) => submitKycCredential(ctx, { investorId: args.investorId, credential: args.credential }),
  }),
);

builder.mutationField("requestWalletChallenge", (t) =>
  t.field({
    type: WalletChallengeRef,
    description: "Issues a single-use Sign-In with Ethereum challenge for the investor's wallet. ISSUER or COMPLIANCE_OFFICER.",
    authScopes: { anyRole: ["ISSUER", "COMPLIANCE_OFFICER"] },
    errors: {},
    args: { investorId: t.arg.id({ required: true }) },
    resolve: (_root, args, ctx) => requestWalletChallenge(ctx, { investorId: args.investorId }),
  }),
);

builder.mutationField("proveWalletControl", (t) =>
  t.field({
    type: InvestorRef,
    description: "Checks the wallet's signature of a challenge message; whitelisting needs it. ISSUER or COMPLIANCE_OFFICER.",
    authScopes: { anyRole: ["ISSUER", "COMPLIANCE_OFFICER"] },
    errors: { types: [SiweNonceInvalidError, SiweDomainMismatchError, SiweMessageInvalidError, SiweSignatureInvalidError] },
    args: {
      investorId: t.arg.id({ required: true }),
      message: t.arg.string({ required: true }),
      signature: t.arg.string({ required: true }),
    },
    resolve: (_root, args, ctx) => proveWalletControl(ctx, args),
  }),
);

builder.queryField("trustedIssuers", (t) =>
  t.field({
    type: [TrustedIssuerRef],
    authScopes: { authenticated: true },
    errors: {},
    resolve: (_root, _args, ctx) => listTrustedIssuers(ctx),
  }),
);

const SignInChallengeRef = builder.objectRef<SignInChallenge>("SignInChallenge").implement({
  description: "A Sign-In with Ethereum (EIP-4361) challenge to sign in: the wallet signs `message` as is (personal_sign).",
  fields: (t) => ({
    walletAddress: t.exposeString("walletAddress", { description: "EIP-55 checksummed" }),
    nonce: t.exposeString("nonce"),
    message: t.exposeString("message"),
    expiresAt: t.expose("expiresAt", { type: "DateTime" }),
  }),
});

const InvestorSignInRef = builder.objectRef<InvestorSignIn>("InvestorSignIn").implement({
  description: "An investor's session: send `token` as `Authorization: Bearer <token>` until `expiresAt`.",
  fields: (t) => ({
    token: t.exposeString("token", { description: "A JWT with the role INVESTOR and the investor's id" }),
    expiresAt: t.expose("expiresAt", { type: "DateTime" }),
    investor: t.field({ type: InvestorRef, resolve: (s) => s.investor }),
  }),
});

builder.mutationField("requestSignInChallenge", (t) =>
  t.field({
    type: SignInChallengeRef,
    description:
      "Issues a single-use Sign-In with Ethereum challenge for a wallet address, to any caller; it does not tell whether an investor is registered with the wallet. Answer it with signInWithEthereum.",
    errors: {},
    args: { walletAddress: t.arg.string({ required: true }) },
    resolve: (_root, args, ctx) => requestSignInChallenge(ctx, args),
  }),
);

builder.mutationField("signInWithEthereum", (t) =>
  t.field({
    type: InvestorSignInRef,
    description:
      "Signs an investor in: the wallet's signature of a requestSignInChallenge message gives a short-lived INVESTOR token, when an investor is registered with the wallet, has proven it and holds a verified, unexpired KYC. Any caller.",
    errors: {
      types: [
        SiweNonceInvalidError,
        SiweDomainMismatchError,
        SiweMessageInvalidError,
        SiweSignatureInvalidError,
        WalletNotRegisteredError,
        WalletNotProvenError,
        KycNotVerifiedError,
      ],
    },
    args: { message: t.arg.string({ required: true }), signature: t.arg.string({ required: true }) },
    resolve: (_root, args, ctx) => signInWithEthereum(ctx, args),
  }),
);
