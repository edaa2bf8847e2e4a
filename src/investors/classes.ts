/** Investor classes, apart from the tables so offerings/table.ts can use them without an import cycle. */
export const INVESTOR_CLASSES = ["PROFESSIONAL", "INSTITUTIONAL", "RETAIL"] as const;
