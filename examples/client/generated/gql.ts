/* eslint-disable */
import * as types from './graphql.js';
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';

/**
 * Map of all GraphQL operations in the project.
 *
 * This map has several performance disadvantages:
 * 1. It is not tree-shakeable, so it will include all operations in the project.
 * 2. It is not minifiable, so the string of a GraphQL query will be multiple times inside the bundle.
 * 3. It does not support dead code elimination, so it will add unused operations.
 *
 * Therefore it is highly recommended to use the babel or swc plugin for production.
 * Learn more about it here: https://the-guild.dev/graphql/codegen/plugins/presets/preset-client#reducing-bundle-size
 */
type Documents = {
    "\n  mutation RegisterDataAsset($input: RegisterDataAssetInput!) {\n    registerDataAsset(input: $input) {\n      __typename\n      ... on DataAsset { id status contentDigest }\n      ... on Error { code message }\n    }\n  }\n": typeof types.RegisterDataAssetDocument,
    "\n  mutation TransitionDataAsset($id: ID!, $to: AssetStatus!) {\n    transitionDataAsset(assetId: $id, to: $to) {\n      __typename\n      ... on DataAsset { status }\n      ... on Error { code message }\n    }\n  }\n": typeof types.TransitionDataAssetDocument,
    "\n  mutation CreateOffering($input: CreateOfferingInput!) {\n    createOffering(input: $input) {\n      __typename\n      ... on Offering { id tranches { id } }\n      ... on Error { code message }\n    }\n  }\n": typeof types.CreateOfferingDocument,
    "\n  query ComplianceReport($trancheId: ID!, $investorId: ID) {\n    complianceReport(trancheId: $trancheId, investorId: $investorId) {\n      __typename\n      ... on ComplianceReport { holds unmetCodes requirements { code holds reason } }\n      ... on Error { code message }\n    }\n  }\n": typeof types.ComplianceReportDocument,
    "\n  mutation RequestMint($input: RequestMintInput!) {\n    requestMint(input: $input) {\n      __typename\n      ... on MintRequest { id status amount }\n      ... on ComplianceNotSatisfiedError { code unmetCodes }\n      ... on Error { code message }\n    }\n  }\n": typeof types.RequestMintDocument,
    "\n  query MintRequestStatus($id: ID!) {\n    mintRequest(id: $id) {\n      __typename\n      ... on MintRequest { id status txHash blockNumber errorCode errorMessage }\n      ... on Error { code message }\n    }\n  }\n": typeof types.MintRequestStatusDocument,
};
const documents: Documents = {
    "\n  mutation RegisterDataAsset($input: RegisterDataAssetInput!) {\n    registerDataAsset(input: $input) {\n      __typename\n      ... on DataAsset { id status contentDigest }\n      ... on Error { code message }\n    }\n  }\n": types.RegisterDataAssetDocument,
    "\n  mutation TransitionDataAsset($id: ID!, $to: AssetStatus!) {\n    transitionDataAsset(assetId: $id, to: $to) {\n      __typename\n      ... on DataAsset { status }\n      ... on Error { code message }\n    }\n  }\n": types.TransitionDataAssetDocument,
    "\n  mutation CreateOffering($input: CreateOfferingInput!) {\n    createOffering(input: $input) {\n      __typename\n      ... on Offering { id tranches { id } }\n      ... on Error { code message }\n    }\n  }\n": types.CreateOfferingDocument,
    "\n  query ComplianceReport($trancheId: ID!, $investorId: ID) {\n    complianceReport(trancheId: $trancheId, investorId: $investorId) {\n      __typename\n      ... on ComplianceReport { holds unmetCodes requirements { code holds reason } }\n      ... on Error { code message }\n    }\n  }\n": types.ComplianceReportDocument,
    "\n  mutation RequestMint($input: RequestMintInput!) {\n    requestMint(input: $input) {\n      __typename\n      ... on MintRequest { id status amount }\n      ... on ComplianceNotSatisfiedError { code unmetCodes }\n      ... on Error { code message }\n    }\n  }\n": types.RequestMintDocument,
    "\n  query MintRequestStatus($id: ID!) {\n    mintRequest(id: $id) {\n      __typename\n      ... on MintRequest { id status txHash blockNumber errorCode errorMessage }\n      ... on Error { code message }\n    }\n  }\n": types.MintRequestStatusDocument,
};

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 *
 *
 * @example
 * ```ts
 * const query = graphql(`query GetUser($id: ID!) { user(id: $id) { name } }`);
 * ```
 *
 * The query argument is unknown!
 * Please regenerate the types.
 */
export function graphql(source: string): unknown;

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation RegisterDataAsset($input: RegisterDataAssetInput!) {\n    registerDataAsset(input: $input) {\n      __typename\n      ... on DataAsset { id status contentDigest }\n      ... on Error { code message }\n    }\n  }\n"): (typeof documents)["\n  mutation RegisterDataAsset($input: RegisterDataAssetInput!) {\n    registerDataAsset(input: $input) {\n      __typename\n      ... on DataAsset { id status contentDigest }\n      ... on Error { code message }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation TransitionDataAsset($id: ID!, $to: AssetStatus!) {\n    transitionDataAsset(assetId: $id, to: $to) {\n      __typename\n      ... on DataAsset { status }\n      ... on Error { code message }\n    }\n  }\n"): (typeof documents)["\n  mutation TransitionDataAsset($id: ID!, $to: AssetStatus!) {\n    transitionDataAsset(assetId: $id, to: $to) {\n      __typename\n      ... on DataAsset { status }\n      ... on Error { code message }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation CreateOffering($input: CreateOfferingInput!) {\n    createOffering(input: $input) {\n      __typename\n      ... on Offering { id tranches { id } }\n      ... on Error { code message }\n    }\n  }\n"): (typeof documents)["\n  mutation CreateOffering($input: CreateOfferingInput!) {\n    createOffering(input: $input) {\n      __typename\n      ... on Offering { id tranches { id } }\n      ... on Error { code message }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ComplianceReport($trancheId: ID!, $investorId: ID) {\n    complianceReport(trancheId: $trancheId, investorId: $investorId) {\n      __typename\n      ... on ComplianceReport { holds unmetCodes requirements { code holds reason } }\n      ... on Error { code message }\n    }\n  }\n"): (typeof documents)["\n  query ComplianceReport($trancheId: ID!, $investorId: ID) {\n    complianceReport(trancheId: $trancheId, investorId: $investorId) {\n      __typename\n      ... on ComplianceReport { holds unmetCodes requirements { code holds reason } }\n      ... on Error { code message }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation RequestMint($input: RequestMintInput!) {\n    requestMint(input: $input) {\n      __typename\n      ... on MintRequest { id status amount }\n      ... on ComplianceNotSatisfiedError { code unmetCodes }\n      ... on Error { code message }\n    }\n  }\n"): (typeof documents)["\n  mutation RequestMint($input: RequestMintInput!) {\n    requestMint(input: $input) {\n      __typename\n      ... on MintRequest { id status amount }\n      ... on ComplianceNotSatisfiedError { code unmetCodes }\n      ... on Error { code message }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query MintRequestStatus($id: ID!) {\n    mintRequest(id: $id) {\n      __typename\n      ... on MintRequest { id status txHash blockNumber errorCode errorMessage }\n      ... on Error { code message }\n    }\n  }\n"): (typeof documents)["\n  query MintRequestStatus($id: ID!) {\n    mintRequest(id: $id) {\n      __typename\n      ... on MintRequest { id status txHash blockNumber errorCode errorMessage }\n      ... on Error { code message }\n    }\n  }\n"];

export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}

export type DocumentType<TDocumentNode extends DocumentNode<any, any>> = TDocumentNode extends DocumentNode<  infer TType,  any>  ? TType  : never;