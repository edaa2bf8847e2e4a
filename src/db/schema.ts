// Every table, gathered for drizzle-kit and the query builder. Each lives beside its domain.
export * from "../organizations/table.js";
export * from "../assets/table.js";
export * from "../ownership/table.js";
export * from "../provenance/table.js";
export * from "../compliance/table.js";
export * from "../offerings/table.js";
export * from "../investors/table.js";
export * from "../identity/table.js";
export * from "../minting/table.js";
export * from "../settlement/table.js";
export * from "../distribution/table.js";
export * from "../circulation/table.js";
export * from "../venues/table.js";
export * from "../queue/table.js";
export * from "../audit/table.js";
export * from "../chain/table.js";
export * from "../indexer/table.js";
