/**
 * docs/error-codes.md lists every stable error code the gateway can answer, and nothing else:
 * the codes of ERROR_CODES (src/errors.ts, the union every BaseError's `code` is typed by),
 * which must themselves include every code literal the source answers with and every code
 * Apollo Server emits on its own.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { ApolloServerErrorCode } from "@apollo/server/errors";
import { ERROR_CODES } from "../src/errors.js";

const ROOT = resolve(import.meta.dirname, "..");

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === "generated" ? [] : sourceFiles(path);
    return entry.name.endsWith(".ts") ? [path] : [];
  });
}

/**
 * Code literals the source answers with: an error class's `readonly code = "X"`, a JSON or
 * GraphQL answer's `error: { code: "X"` / `extensions: { code: "X"`, `requestError(…, "X")`.
 * (Requirement codes such as ONSHORE_… and a mint request's `reason` are other vocabularies.)
 */
function codesInSource(): Map<string, string> {
  const found = new Map<string, string>();
  for (const file of sourceFiles(join(ROOT, "src"))) {
    const text = readFileSync(file, "utf8");
    const patterns = [
      /\breadonly code\s*(?::\s*ErrorCode\s*)?=\s*"([A-Z][A-Z0-9_]+)"/g,
      /\b(?:error|extensions)\s*:\s*\{\s*code\s*:\s*"([A-Z][A-Z0-9_]+)"/g,
      /\brequestError\([^)]*,\s*"([A-Z][A-Z0-9_]+)"\)/g,
    ];
    for (const pattern of patterns) for (const m of text.matchAll(pattern)) found.set(m[1]!, file.slice(ROOT.length + 1));
  }
  return found;
}

/** The codes of the document's tables: the first cell of each row, in backquotes. */
function codesInDocument(): string[] {
  const text = readFileSync(join(ROOT, "docs/error-codes.md"), "utf8");
  return [...text.matchAll(/^\|\s*`([A-Z][A-Z0-9_]+)`\s*\|/gm)].map((m) => m[1]!);
}

describe("error codes", () => {
  it("ERROR_CODES holds every code the source answers with, and every code Apollo Server emits", () => {
    const declared = new Set<string>(ERROR_CODES);
    const undeclared = [...codesInSource()].filter(([code]) => !declared.has(code)).map(([code, file]) => `${code} (${file})`);
    expect(undeclared).toEqual([]);
    expect(Object.values(ApolloServerErrorCode).filter((code) => !declared.has(code))).toEqual([]);
    expect(new Set(ERROR_CODES).size).toBe(ERROR_CODES.length);
  });

  it("docs/error-codes.md documents exactly the declared codes, each once", () => {
    const documented = codesInDocument();
    expect(documented.filter((code, i) => documented.indexOf(code) !== i)).toEqual([]);
    expect({ missingFromDocument: ERROR_CODES.filter((c) => !documented.includes(c)) }).toEqual({ missingFromDocument: [] });
    expect({ documentedButUndeclared: documented.filter((c) => !(ERROR_CODES as readonly string[]).includes(c)) }).toEqual({
      documentedButUndeclared: [],
    });
  });
});
