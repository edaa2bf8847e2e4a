/**
 * A minimal typed GraphQL client: `request(document, variables)` returns the operation's
 * result type, checked at compile time against schema/schema.graphql.
 *
 * @example
 *   const client = createClient("http://127.0.0.1:4000/graphql", token);
 *   const r = await client.request(RequestMint, { input: { idempotencyKey, trancheId, investorId, amount: "1000" } });
 *   if (r.requestMint.__typename === "ComplianceNotSatisfiedError") console.log(r.requestMint.unmetCodes);
 */
import { print } from "graphql";
import type { TypedDocumentNode } from "@graphql-typed-document-node/core";

export class GraphQLRequestError extends Error {
  constructor(readonly errors: { message: string; extensions?: { code?: string } }[]) {
    super(errors.map((e) => `${e.extensions?.code ?? "ERROR"}: ${e.message}`).join("; "));
  }
}

export function createClient(url: string, token?: string) {
  return {
    async request<TResult, TVariables>(document: TypedDocumentNode<TResult, TVariables>, variables: TVariables): Promise<TResult> {
      const res = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
        body: JSON.stringify({ query: print(document), variables }),
      });
      const body = (await res.json()) as { data?: TResult; errors?: GraphQLRequestError["errors"] };
      if (body.errors?.length) throw new GraphQLRequestError(body.errors);
      return body.data as TResult;
    },
  };
}
