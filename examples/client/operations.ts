/**
 * The main flow's operations. `npm run codegen` reads them and writes typed documents into
 * ./generated, so a client gets result and variable types checked at compile time.
 */
import { graphql } from "./generated/index.js";

export const RegisterDataAsset = graphql(`
  mutation RegisterDataAsset($input: RegisterDataAssetInput!) {
    registerDataAsset(input: $input) {
      __typename
      ... on DataAsset { id status contentDigest }
      ... on Error { code message }
    }
  }
`);

export const TransitionDataAsset = graphql(`
  mutation TransitionDataAsset($id: ID!, $to: AssetStatus!) {
    transitionDataAsset(assetId: $id, to: $to) {
      __typename
      ... on DataAsset { status }
      ... on Error { code message }
    }
  }
`);

export const CreateOffering = graphql(`
  mutation CreateOffering($input: CreateOfferingInput!) {
    createOffering(input: $input) {
      __typename
      ... on Offering { id tranches { id } }
      ... on Error { code message }
    }
  }
`);

export const ComplianceReport = graphql(`
  query ComplianceReport($trancheId: ID!, $investorId: ID) {
    complianceReport(trancheId: $trancheId, investorId: $investorId) {
      __typename
      ... on ComplianceReport { holds unmetCodes requirements { code holds reason } }
      ... on Error { code message }
    }
  }
`);

export const RequestMint = graphql(`
  mutation RequestMint($input: RequestMintInput!) {
    requestMint(input: $input) {
      __typename
      ... on MintRequest { id status amount }
      ... on ComplianceNotSatisfiedError { code unmetCodes }
      ... on Error { code message }
    }
  }
`);

export const MintRequestStatus = graphql(`
  query MintRequestStatus($id: ID!) {
    mintRequest(id: $id) {
      __typename
      ... on MintRequest { id status txHash blockNumber errorCode errorMessage }
      ... on Error { code message }
    }
  }
`);
