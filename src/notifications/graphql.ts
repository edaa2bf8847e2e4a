import { builder, type GraphQLContext } from "../graphql/builder.js";
import { MintRequestRef } from "../minting/graphql.js";
import { getMintRequest } from "../minting/service.js";
import { DataAssetRef } from "../assets/graphql.js";
import { getDataAsset } from "../assets/service.js";
import { CHANNELS } from "./change-feed.js";

/**
 * The entity's current state, then its state after each status change. Listening starts
 * before the first read, so a change made in between is not missed.
 */
async function* statusStream<T extends { status: string }>(
  ctx: GraphQLContext,
  channel: string,
  id: string,
  load: () => Promise<T>,
): AsyncGenerator<T> {
  const changes = ctx.changes.subscribe(channel, id);
  try {
    await changes.ready;
    let current = await load(); // also checks the caller may see it
    yield current;
    for await (const change of changes) {
      if (change.status === current.status) continue;
      current = await load();
      yield current;
    }
  } finally {
    await changes.return?.();
  }
}

builder.subscriptionField("mintStatusChanged", (t) =>
  t.field({
    type: MintRequestRef,
    description: "The mint request now, then after each status change (REQUESTED → SUBMITTED → CONFIRMED …), whichever process made it.",
    authScopes: { authenticated: true },
    args: { requestId: t.arg.id({ required: true }) },
    subscribe: (_root, args, ctx) =>
      statusStream(ctx, CHANNELS.mintStatus, String(args.requestId), () => getMintRequest(ctx, String(args.requestId))),
    resolve: (request) => request,
  }),
);

builder.subscriptionField("assetStatusChanged", (t) =>
  t.field({
    type: DataAssetRef,
    description: "The data asset now, then after each lifecycle change.",
    args: { assetId: t.arg.id({ required: true }) },
    subscribe: (_root, args, ctx) =>
      statusStream(ctx, CHANNELS.assetStatus, String(args.assetId), () => getDataAsset(ctx, String(args.assetId))),
    resolve: (asset) => asset,
  }),
);
