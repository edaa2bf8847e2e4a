/* eslint-disable */
/** Internal type. DO NOT USE DIRECTLY. */
type Exact<T extends { [key: string]: unknown }> = { [K in keyof T]: T[K] };
/** Internal type. DO NOT USE DIRECTLY. */
export type Incremental<T> = T | { [P in keyof T]?: P extends ' $fragmentName' | '__typename' ? T[P] : never };
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';
export type AssetStatus =
  | 'APPROVED'
  | 'DRAFT'
  | 'IN_REVIEW'
  | 'OFFERED'
  | 'REJECTED'
  | 'SUBMITTED'
  | 'SUSPENDED'
  | 'TOKENIZED'
  | 'WITHDRAWN';

/** FIXED pays couponBps a year (actual/365); RESIDUAL is the first-loss tranche, paid what is left */
export type CouponKind =
  | 'FIXED'
  | 'RESIDUAL';

export type CreateOfferingInput = {
  allowedInvestorClasses: Array<InvestorClass>;
  assetIds: Array<string | number>;
  blockedJurisdictions?: Array<string> | null | undefined;
  closesAt?: string | null | undefined;
  currency: string;
  /** The issuer's management fee, bps a year of outstanding principal; 0 by default */
  managementFeeBps?: number | null | undefined;
  /** 0 by default */
  minSubordinationBps?: number | null | undefined;
  name: string;
  opensAt?: string | null | undefined;
  productType: ProductType;
  /** DvP: the ERC-20 stablecoin subscriptions are paid in (dUSD on the dev chain, USDC…); omit with treasury for off-chain payment */
  settlementToken?: string | null | undefined;
  /** sha256 of the offering terms document */
  termsDigest: string;
  tranche: TrancheInput;
  /** DvP: the issuer's treasury wallet (it approves the settlement contract for redemptions) */
  treasury?: string | null | undefined;
};

export type InvestorClass =
  | 'INSTITUTIONAL'
  | 'PROFESSIONAL'
  | 'RETAIL';

export type MintStatus =
  | 'CONFIRMED'
  | 'FAILED'
  | 'REQUESTED'
  | 'REVERTED'
  | 'SUBMITTED';

export type PersonalInfoTreatment =
  | 'ANONYMIZED'
  | 'CONSENTED'
  | 'DEIDENTIFIED'
  | 'NONE';

export type ProductType =
  | 'DEBT'
  | 'FUND'
  | 'REVENUE_RIGHTS';

export type RegisterDataAssetInput = {
  /** Whole number, as a decimal string */
  byteSize?: string | null | undefined;
  /** Classification code */
  category: string;
  containsPersonalInfo?: boolean | null | undefined;
  /** 0x-prefixed sha256 of the canonical data bundle */
  contentDigest: string;
  description?: string | null | undefined;
  format?: string | null | undefined;
  personalInfoTreatment?: PersonalInfoTreatment | null | undefined;
  /** Whole number, as a decimal string */
  recordCount?: string | null | undefined;
  securityLevel?: SecurityLevel | null | undefined;
  tags?: Array<string> | null | undefined;
  title: string;
};

export type RequestMintInput = {
  /** Base units, as a decimal string (never a float) */
  amount: string;
  /** Unique per organization: resending it returns the same request */
  idempotencyKey: string;
  investorId: string | number;
  trancheId: string | number;
};

export type RequirementCode =
  | 'OFFSHORE_INVESTOR_ELIGIBLE'
  | 'OFFSHORE_ISSUER_LICENSED'
  | 'OFFSHORE_LEGAL_OPINION'
  | 'ONSHORE_CROSS_BORDER_ASSESSED'
  | 'ONSHORE_OWNERSHIP_CONFIRMED'
  | 'ONSHORE_PERSONAL_INFO_TREATED'
  | 'ONSHORE_SANDBOX_VALIDATED'
  | 'ONSHORE_SECURITY_CLASSIFIED'
  | 'ONSHORE_VALUATION';

export type SecurityLevel =
  | 'CORE'
  | 'GENERAL'
  | 'IMPORTANT';

export type Seniority =
  | 'JUNIOR'
  | 'MEZZANINE'
  | 'SENIOR';

export type TrancheInput = {
  couponBps?: number | null | undefined;
  /** FIXED by default */
  couponKind?: CouponKind | null | undefined;
  /** Whether holders may redeem before maturity; false by default */
  earlyRedemption?: boolean | null | undefined;
  maturityDate?: string | null | undefined;
  /** Base units; 1 by default */
  minimumTicket?: string | null | undefined;
  name: string;
  /** Settlement-currency base units per whole token; 1000000 by default */
  price?: string | null | undefined;
  seniority: Seniority;
  /** The target size: base units, as a decimal string */
  supplyCap: string;
  tokenName: string;
  tokenSymbol: string;
};

export type RegisterDataAssetMutationVariables = Exact<{
  input: RegisterDataAssetInput;
}>;


export type RegisterDataAssetMutation = { registerDataAsset:
    | { __typename: 'ConflictError', code: string, message: string }
    | { __typename: 'DataAsset', id: string, status: AssetStatus, contentDigest: string }
    | { __typename: 'ForbiddenError', code: string, message: string }
    | { __typename: 'NotFoundError', code: string, message: string }
    | { __typename: 'UnauthenticatedError', code: string, message: string }
    | { __typename: 'ValidationError', code: string, message: string }
   };

export type TransitionDataAssetMutationVariables = Exact<{
  id: string | number;
  to: AssetStatus;
}>;


export type TransitionDataAssetMutation = { transitionDataAsset:
    | { __typename: 'ConflictError', code: string, message: string }
    | { __typename: 'DataAsset', status: AssetStatus }
    | { __typename: 'ForbiddenError', code: string, message: string }
    | { __typename: 'InvalidTransitionError', code: string, message: string }
    | { __typename: 'NotFoundError', code: string, message: string }
    | { __typename: 'UnauthenticatedError', code: string, message: string }
    | { __typename: 'ValidationError', code: string, message: string }
   };

export type CreateOfferingMutationVariables = Exact<{
  input: CreateOfferingInput;
}>;


export type CreateOfferingMutation = { createOffering:
    | { __typename: 'AssetAlreadyOfferedError', code: string, message: string }
    | { __typename: 'ComplianceNotSatisfiedError', code: string, message: string }
    | { __typename: 'ConflictError', code: string, message: string }
    | { __typename: 'ForbiddenError', code: string, message: string }
    | { __typename: 'NotFoundError', code: string, message: string }
    | { __typename: 'Offering', id: string, tranches: Array<{ id: string }> }
    | { __typename: 'UnauthenticatedError', code: string, message: string }
    | { __typename: 'ValidationError', code: string, message: string }
   };

export type ComplianceReportQueryVariables = Exact<{
  trancheId: string | number;
  investorId?: string | number | null | undefined;
}>;


export type ComplianceReportQuery = { complianceReport:
    | { __typename: 'ComplianceReport', holds: boolean, unmetCodes: Array<RequirementCode>, requirements: Array<{ code: RequirementCode, holds: boolean, reason: string }> }
    | { __typename: 'ConflictError', code: string, message: string }
    | { __typename: 'ForbiddenError', code: string, message: string }
    | { __typename: 'NotFoundError', code: string, message: string }
    | { __typename: 'UnauthenticatedError', code: string, message: string }
    | { __typename: 'ValidationError', code: string, message: string }
   };

export type RequestMintMutationVariables = Exact<{
  input: RequestMintInput;
}>;


export type RequestMintMutation = { requestMint:
    | { __typename: 'ComplianceNotSatisfiedError', code: string, unmetCodes: Array<RequirementCode>, message: string }
    | { __typename: 'ConflictError', code: string, message: string }
    | { __typename: 'ForbiddenError', code: string, message: string }
    | { __typename: 'IdempotencyKeyReusedError', code: string, message: string }
    | { __typename: 'MintRequest', id: string, status: MintStatus, amount: string }
    | { __typename: 'NotFoundError', code: string, message: string }
    | { __typename: 'OfferingNotOpenError', code: string, message: string }
    | { __typename: 'SupplyCapExceededError', code: string, message: string }
    | { __typename: 'UnauthenticatedError', code: string, message: string }
    | { __typename: 'ValidationError', code: string, message: string }
   };

export type MintRequestStatusQueryVariables = Exact<{
  id: string | number;
}>;


export type MintRequestStatusQuery = { mintRequest:
    | { __typename: 'ConflictError', code: string, message: string }
    | { __typename: 'ForbiddenError', code: string, message: string }
    | { __typename: 'MintRequest', id: string, status: MintStatus, txHash: string | null, blockNumber: string | null, errorCode: string | null, errorMessage: string | null }
    | { __typename: 'NotFoundError', code: string, message: string }
    | { __typename: 'UnauthenticatedError', code: string, message: string }
    | { __typename: 'ValidationError', code: string, message: string }
   };


export const RegisterDataAssetDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"RegisterDataAsset"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"RegisterDataAssetInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"registerDataAsset"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"DataAsset"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"contentDigest"}}]}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"Error"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"code"}},{"kind":"Field","name":{"kind":"Name","value":"message"}}]}}]}}]}}]} as unknown as DocumentNode<RegisterDataAssetMutation, RegisterDataAssetMutationVariables>;
export const TransitionDataAssetDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"TransitionDataAsset"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"to"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"AssetStatus"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"transitionDataAsset"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"assetId"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}},{"kind":"Argument","name":{"kind":"Name","value":"to"},"value":{"kind":"Variable","name":{"kind":"Name","value":"to"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"DataAsset"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"status"}}]}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"Error"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"code"}},{"kind":"Field","name":{"kind":"Name","value":"message"}}]}}]}}]}}]} as unknown as DocumentNode<TransitionDataAssetMutation, TransitionDataAssetMutationVariables>;
export const CreateOfferingDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"CreateOffering"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"CreateOfferingInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"createOffering"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"Offering"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"tranches"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}}]}}]}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"Error"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"code"}},{"kind":"Field","name":{"kind":"Name","value":"message"}}]}}]}}]}}]} as unknown as DocumentNode<CreateOfferingMutation, CreateOfferingMutationVariables>;
export const ComplianceReportDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"ComplianceReport"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"trancheId"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"investorId"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"complianceReport"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"trancheId"},"value":{"kind":"Variable","name":{"kind":"Name","value":"trancheId"}}},{"kind":"Argument","name":{"kind":"Name","value":"investorId"},"value":{"kind":"Variable","name":{"kind":"Name","value":"investorId"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"ComplianceReport"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"holds"}},{"kind":"Field","name":{"kind":"Name","value":"unmetCodes"}},{"kind":"Field","name":{"kind":"Name","value":"requirements"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"code"}},{"kind":"Field","name":{"kind":"Name","value":"holds"}},{"kind":"Field","name":{"kind":"Name","value":"reason"}}]}}]}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"Error"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"code"}},{"kind":"Field","name":{"kind":"Name","value":"message"}}]}}]}}]}}]} as unknown as DocumentNode<ComplianceReportQuery, ComplianceReportQueryVariables>;
export const RequestMintDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"RequestMint"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"RequestMintInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"requestMint"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"MintRequest"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"amount"}}]}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"ComplianceNotSatisfiedError"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"code"}},{"kind":"Field","name":{"kind":"Name","value":"unmetCodes"}}]}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"Error"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"code"}},{"kind":"Field","name":{"kind":"Name","value":"message"}}]}}]}}]}}]} as unknown as DocumentNode<RequestMintMutation, RequestMintMutationVariables>;
export const MintRequestStatusDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"MintRequestStatus"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"mintRequest"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"MintRequest"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"txHash"}},{"kind":"Field","name":{"kind":"Name","value":"blockNumber"}},{"kind":"Field","name":{"kind":"Name","value":"errorCode"}},{"kind":"Field","name":{"kind":"Name","value":"errorMessage"}}]}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"Error"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"code"}},{"kind":"Field","name":{"kind":"Name","value":"message"}}]}}]}}]}}]} as unknown as DocumentNode<MintRequestStatusQuery, MintRequestStatusQueryVariables>;