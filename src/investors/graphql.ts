import { builder } from "../graphql/builder.js";
import { ErrorInterface } from "../graphql/common.js";
import { ChainUnavailableError } from "../errors.js";
import { ComplianceNotSatisfiedError } from "../compliance/errors.js";
import { INVESTOR_CLASSES, KYC_STATUSES } from "./table.js";
import { INVESTOR_READERS } from "./access.js";
import { INVESTOR_ROLE } from "../auth/roles.js";
import {
  KycNotVerifiedError,
  WalletNotProvenError,
  getInvestor,
  registerInvestor,
  verifyInvestorKyc,
  whitelistInvestor,
  type Investor,
} from "./service.js";

export const InvestorClass = builder.enumType("InvestorClass", { values: INVESTOR_CLASSES });
const KycStatus = builder.enumType("KycStatus", { values: KYC_STATUSES });

builder.objectType(KycNotVerifiedError, { name: "KycNotVerifiedError", interfaces: [ErrorInterface] });
builder.objectType(WalletNotProvenError, { name: "WalletNotProvenError", interfaces: [ErrorInterface] });

export const InvestorRef = builder.objectRef<Investor>("Investor").implement({
  fields: (t) => ({
    id: t.exposeID("id"),
    did: t.exposeString("did"),
    investorClass: t.expose("investorClass", { type: InvestorClass }),
    jurisdiction: t.exposeString("jurisdiction"),
    kycStatus: t.expose("kycStatus", { type: KycStatus }),
    kycExpiresAt: t.expose("kycExpiresAt", { type: "DateTime", nullable: true }),
    walletAddress: t.exposeString("walletAddress", { description: "EIP-55 checksummed" }),
    walletProvenAt: t.expose("walletProvenAt", {
      type: "DateTime",
      nullable: true,
      description: "When control of the wallet was last proven with Sign-In with Ethereum",
    }),
    kycIssuerDid: t.exposeString("kycIssuerDid", { nullable: true, description: "Trusted issuer of the KYC credential, if any" }),
    kycEvidenceDigest: t.exposeString("kycEvidenceDigest", { nullable: true, description: "sha256 of the KYC credential JWT" }),
  }),
});

const WhitelistEntryRef = builder
  .objectRef<{ trancheId: string; investor: Investor; walletAddress: string; txHash: string }>("WhitelistEntry")
  .implement({
    fields: (t) => ({
      trancheId: t.exposeID("trancheId"),
      investor: t.field({ type: InvestorRef, resolve: (w) => w.investor }),
      walletAddress: t.exposeString("walletAddress"),
      txHash: t.exposeString("txHash", { description: "The on-chain whitelist transaction" }),
    }),
  });

const RegisterInvestorInput = builder.inputType("RegisterInvestorInput", {
  fields: (t) => ({
    did: t.string({ required: true, description: "W3C DID, e.g. did:pkh:eip155:1:0x…" }),
    investorClass: t.field({ type: InvestorClass, required: true }),
    jurisdiction: t.string({ required: true }),
    walletAddress: t.string({ required: true }),
  }),
});

builder.mutationField("registerInvestor", (t) =>
  t.field({
    type: InvestorRef,
    description: "Registers an investor identity; KYC starts PENDING. ISSUER or COMPLIANCE_OFFICER.",
    authScopes: { anyRole: ["ISSUER", "COMPLIANCE_OFFICER"] },
    errors: {},
    args: { input: t.arg({ type: RegisterInvestorInput, required: true }) },
    resolve: (_root, { input }, ctx) => registerInvestor(ctx, input),
  }),
);

builder.mutationField("verifyInvestorKyc", (t) =>
  t.field({
    type: InvestorRef,
    description:
      "Records a KYC decision; VERIFIED needs a future expiry. Any other status removes the wallet from every token whitelist (on chain too). COMPLIANCE_OFFICER.",
    authScopes: { anyRole: ["COMPLIANCE_OFFICER"] },
    errors: { types: [ChainUnavailableError] },
    args: {
      investorId: t.arg.id({ required: true }),
      status: t.arg({ type: KycStatus, required: true }),
      expiresAt: t.arg({ type: "DateTime" }),
    },
    resolve: (_root, args, ctx) => verifyInvestorKyc(ctx, args),
  }),
);

builder.mutationField("whitelistInvestor", (t) =>
  t.field({
    type: WhitelistEntryRef,
    description:
      "Admits a KYC-verified investor's wallet on a tranche token (on-chain transaction), when the offering allows the investor (ComplianceNotSatisfiedError with OFFSHORE_INVESTOR_ELIGIBLE otherwise). ISSUER of the offering or COMPLIANCE_OFFICER.",
    // Compliance acts across organizations; an issuer only on its own offerings' tranches.
    authScopes: (_root, args) => ({ $any: { anyRole: ["COMPLIANCE_OFFICER"], issuerOfTranche: args.trancheId } }),
    errors: { types: [KycNotVerifiedError, ComplianceNotSatisfiedError, WalletNotProvenError, ChainUnavailableError] },
    args: { trancheId: t.arg.id({ required: true }), investorId: t.arg.id({ required: true }) },
    resolve: (_root, args, ctx) => whitelistInvestor(ctx, { trancheId: args.trancheId, investorId: args.investorId }),
  }),
);

builder.queryField("investor", (t) =>
  t.field({
    type: InvestorRef,
    description:
      "An investor identity and its KYC state: personal data, so only for those who onboard, verify or operate, and for the investor signed in (NotFoundError for any other id).",
    authScopes: { anyRole: [...INVESTOR_READERS, INVESTOR_ROLE] },
    errors: {},
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, { id }, ctx) => getInvestor(ctx, id),
  }),
);
