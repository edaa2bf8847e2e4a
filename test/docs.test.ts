/**
 * The documentation stays true to the repository: a clone has every file the repository refers
 * to, every relative link in README.md and docs/ resolves (file and heading), README.md stays a
 * newcomer's page, and the dependency and configuration tables name everything there is.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

const root = path.resolve(import.meta.dirname, "..");
const read = (file: string) => readFileSync(path.join(root, file), "utf8");

/** Tracked files, and new ones not ignored (so a file about to be committed is checked too). */
const files = execFileSync("git", ["ls-files", "--cached", "--others", "--exclude-standard"], { cwd: root, encoding: "utf8" })
  .split("\n")
  .filter((f) => f && existsSync(path.join(root, f)));

const markdown = [
  "README.md",
  ...readdirSync(path.join(root, "docs"))
    .filter((f) => f.endsWith(".md"))
    .map((f) => `docs/${f}`),
];

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
const slug = (heading: string) =>
  heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, "")
    .replace(/\s/g, "-");

const anchorsOf = (file: string) =>
  new Set(
    read(file)
      .replace(/```[\s\S]*?```/g, "")
      .split("\n")
      .filter((line) => /^#{1,6} /.test(line))
      .map((line) => slug(line.replace(/^#+ /, ""))),
  );

describe("documentation", () => {
  it("no file of the repository refers to a file outside it", () => {
    // Built from parts, so this file does not match itself.
    const outside = [["..", "/shared/"].join(""), ["/work", "/shared"].join(""), ...["DESIGN", "STACK", "STYLE"].map((n) => `${n}.md`)];
    const offenders: string[] = [];
    for (const file of files) {
      const text = readFileSync(path.join(root, file));
      if (text.includes(0)) continue; // binary
      const content = text.toString("utf8");
      for (const needle of outside) if (content.includes(needle)) offenders.push(`${file}: ${needle}`);
    }
    expect(offenders).toEqual([]);
  });

  it("every relative link in README.md and docs/ points to a file (and heading) that exists", () => {
    const broken: string[] = [];
    for (const file of markdown) {
      const text = read(file).replace(/```[\s\S]*?```/g, "");
      for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
        if (/^[a-z]+:/i.test(target!)) continue; // http:, https:, mailto:
        const [pathPart, anchor] = target!.split("#");
        const resolved = pathPart ? path.normalize(path.join(path.dirname(file), pathPart)) : file;
        if (resolved.startsWith("..") || !existsSync(path.join(root, resolved))) {
          broken.push(`${file}: ${target} (no file ${resolved})`);
        } else if (anchor && resolved.endsWith(".md") && !anchorsOf(resolved).has(anchor)) {
          broken.push(`${file}: ${target} (no heading #${anchor} in ${resolved})`);
        }
      }
    }
    expect(broken).toEqual([]);
  });

  it("README.md is a newcomer's page: at most 160 lines", () => {
    expect(read("README.md").split("\n").length).toBeLessThanOrEqual(160);
  });

  it("docs/dependencies.md says what every package.json dependency is for, and names no other", () => {
    const pkg = JSON.parse(read("package.json")) as { dependencies: Record<string, string>; devDependencies: Record<string, string> };
    const doc = read("docs/dependencies.md");
    const installed = [...Object.keys(pkg.dependencies), ...Object.keys(pkg.devDependencies)];
    expect(installed.filter((name) => !doc.includes(`\`${name}\``))).toEqual([]);
    // And no row names a package that is gone (the first cell of each table row).
    const documented = doc
      .split("\n")
      .filter((line) => line.startsWith("| `"))
      .flatMap((line) => [...line.split("|")[1]!.matchAll(/`([^`]+)`/g)].map((m) => m[1]!));
    expect(documented.filter((name) => !installed.includes(name))).toEqual([]);
  });

  it("docs/operations.md lists every variable src/config.ts reads", () => {
    const variables = [...read("src/config.ts").matchAll(/^\s{4}([A-Z][A-Z0-9_]+): /gm)].map((m) => m[1]!);
    expect(variables.length).toBeGreaterThan(20);
    const doc = read("docs/operations.md");
    expect(variables.filter((v) => !doc.includes(`| \`${v}\` |`))).toEqual([]);
  });
});
