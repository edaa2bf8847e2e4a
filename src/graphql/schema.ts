/** Assembles the schema: each import registers its domain's types on the builder. */
import { lexicographicSortSchema, printSchema } from "graphql";
import { builder } from "./builder.js";
import "./common.js";
import "../organizations/graphql.js";
import "../assets/graphql.js";
import "../ownership/graphql.js";
import "../provenance/graphql.js";
import "../compliance/graphql.js";
import "../investors/graphql.js";
import "../identity/graphql.js";
import "../offerings/graphql.js";
import "../minting/graphql.js";
import "../settlement/graphql.js";
import "../distribution/graphql.js";
import "../circulation/graphql.js";
import "../venues/graphql.js";
import "../audit/graphql.js";
import "../indexer/graphql.js";

export const schema = builder.toSchema();

/** The SDL checked in at schema/schema.graphql (sorted, so diffs stay small). */
export const printedSchema = () => `${printSchema(lexicographicSortSchema(schema))}\n`;
