/**
 * Every decision on the record: one mint walked from asset registration to CONFIRMED, and the
 * audit trails of the mint request, the offering and the investor list every decision on the
 * way with the evidence it rested on (the requirement report, the credential digest, the rule),
 * the mint's settlement naming the transaction the chain mined. The chain verifies; a rewritten
 * row of the new kinds is reported at its seq. The trail exports as JSON Lines that verify
 * offline, and an edited line is reported. Access follows each entity's read rule.
 */
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { asc, count, sql } from "drizzle-orm";
import { erc20Abi, hexToBytes, parseEventLogs, zeroAddress, type Hex } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { ES256KSigner } from "did-jwt";
import { createVerifiableCredentialJwt } from "did-jwt-vc";
import { openDatabase, schema } from "../src/db/index.js";
import { startTestGateway, type TestGateway } from "./support/harness.js";
import {
  ERROR_FIELDS,
  REQUEST_MINT,
  createActors,
  createOfferingWithTranche,
  deployAndWhitelist,
  digest,
  ok,
  proveWallet,
  registerApprovedAsset,
  satisfyRequirements,
  waitForMint,
  type Actors,
} from "./support/flow.js";

let t: TestGateway;
let a: Actors;
const startedAt = new Date(Date.now() - 1000);
beforeAll(async () => {
  t = await startTestGateway();
  a = await createActors(t);
});
afterAll(async () => t?.close());

const EVENT = `sequence actor actorOrgId action entityType entityId payload prevHash hash`;
const TRAIL_RESULT = (success: string) => `auditTrail { __typename ... on ${success} { data { ${EVENT} } } ${ERROR_FIELDS} }`;
const TRAIL = `query($id: ID!) { auditTrail(entityId: $id) { __typename ... on QueryAuditTrailSuccess { data { ${EVENT} } } ${ERROR_FIELDS} } }`;
const VERIFY = `query { verifyAuditChain { __typename ... on AuditChainVerification { ok checked brokenAtSequence reason } ${ERROR_FIELDS} } }`;
const MINT_WITH_TRAIL = `query($id: ID!) { mintRequest(id: $id) { __typename ... on MintRequest { id txHash ${TRAIL_RESULT("MintRequestAuditTrailSuccess")} } ${ERROR_FIELDS} } }`;
const OFFERING_WITH_TRAIL = `query($id: ID!) { offering(id: $id) { __typename ... on Offering { id tranches { id tokenAddress deployTxHash } ${TRAIL_RESULT("OfferingAuditTrailSuccess")} } ${ERROR_FIELDS} } }`;
const INVESTOR_WITH_TRAIL = `query($id: ID!) { investor(id: $id) { __typename ... on Investor { id ${TRAIL_RESULT("InvestorAuditTrailSuccess")} } ${ERROR_FIELDS} } }`;

type Event = {
  sequence: string;
  actor: string;
  actorOrgId: string | null;
  action: string;
  entityType: string;
  entityId: string;
  payload: any;
};

const sha256 = (text: string) => `0x${createHash("sha256").update(text).digest("hex")}`;
const AMOUNT = "2500000000000000000";

/** The walk: asset, requirements, offering, KYC by credential, wallet proof, deploy, whitelist, mint, CONFIRMED. */
let flow: {
  assetId: string;
  offeringId: string;
  trancheId: string;
  investorId: string;
  wallet: `0x${string}`;
  token: `0x${string}`;
  credentialDigest: string;
  issuerDid: string;
  mintId: string;
  mintTx: Hex;
};

async function walkOneMint() {
  const { assetId, contentDigest } = await registerApprovedAsset(t, a, "Audited port data");
  const { offeringId, trancheId } = await createOfferingWithTranche(t, a, assetId);
  await satisfyRequirements(t, a, { assetId, contentDigest, offeringId });

  // KYC from a verifiable credential of a trusted issuer: its digest is the evidence.
  const issuerKey = generatePrivateKey();
  const issuerDid = `did:pkh:eip155:1:${privateKeyToAccount(issuerKey).address}`;
  ok(
    await t.gql(
      `mutation($did: String!) { registerTrustedIssuer(did: $did, name: "Acme KYC") { __typename ... on TrustedIssuer { id } ${ERROR_FIELDS} } }`,
      { did: issuerDid },
      a.officerToken,
    ),
    "registerTrustedIssuer",
    "TrustedIssuer",
  );
  const account = privateKeyToAccount(generatePrivateKey());
  const did = `did:pkh:eip155:${t.chain.chainId}:${account.address}`;
  const investor = ok<any>(
    await t.gql(
      `mutation($input: RegisterInvestorInput!) { registerInvestor(input: $input) { __typename ... on Investor { id walletAddress } ${ERROR_FIELDS} } }`,
      { input: { did, investorClass: "PROFESSIONAL", jurisdiction: "HK", walletAddress: account.address } },
      a.issuerToken,
    ),
    "registerInvestor",
    "Investor",
  );
  const vc = await createVerifiableCredentialJwt(
    {
      sub: did,
      nbf: Math.floor(Date.now() / 1000) - 60,
      exp: Math.floor(Date.now() / 1000) + 90 * 24 * 3600,
      vc: {
        "@context": ["https://www.w3.org/2018/credentials/v1"],
        type: ["VerifiableCredential", "KycCredential"],
        credentialSubject: { kycStatus: "VERIFIED", chainId: t.chain.chainId },
      },
    },
    { did: issuerDid, signer: ES256KSigner(hexToBytes(issuerKey), true), alg: "ES256K-R" },
  );
  ok(
    await t.gql(
      `mutation($id: ID!, $vc: String!) { submitKycCredential(investorId: $id, credential: $vc) { __typename ... on Investor { kycStatus } ${ERROR_FIELDS} } }`,
      { id: investor.id, vc },
      a.officerToken,
    ),
    "submitKycCredential",
    "Investor",
  );
  await proveWallet(t, a.issuerToken, investor.id, account);
  const token = await deployAndWhitelist(t, a, trancheId, investor.id);

  const requested = ok<any>(
    await t.gql(
      REQUEST_MINT,
      { input: { idempotencyKey: "audited-mint", trancheId, investorId: investor.id, amount: AMOUNT } },
      a.issuerToken,
    ),
    "requestMint",
    "MintRequest",
  );
  const settled = await waitForMint(t, a.issuerToken, requested.id);
  expect(settled.status).toBe("CONFIRMED");
  return {
    assetId,
    offeringId,
    trancheId,
    investorId: investor.id as string,
    wallet: account.address,
    token,
    credentialDigest: sha256(vc),
    issuerDid,
    mintId: requested.id as string,
    mintTx: settled.txHash as Hex,
  };
}

describe("every decision on the record", () => {
  beforeAll(async () => {
    flow = await walkOneMint();
  }, 120_000);

  it("the mint request's trail answers why the mint was allowed, and names the transaction the chain mined", async () => {
    const m = (await t.gql(MINT_WITH_TRAIL, { id: flow.mintId }, a.issuerToken)).data.mintRequest;
    expect(m.auditTrail.__typename).toBe("MintRequestAuditTrailSuccess");
    const trail: Event[] = m.auditTrail.data;
    expect(trail.map((e) => e.action)).toEqual(["mint.requested", "mint.submitted", "mint.confirmed"]);
    expect(trail.every((e) => e.entityType === "MintRequest" && e.entityId === flow.mintId)).toBe(true);

    const [requested, submitted, confirmed] = trail as [Event, Event, Event];
    expect(requested).toMatchObject({ actor: "issuer", actorOrgId: a.issuerOrgId });
    expect(requested.payload).toMatchObject({
      organizationId: a.issuerOrgId,
      offeringId: flow.offeringId,
      trancheId: flow.trancheId,
      investorId: flow.investorId,
      amount: AMOUNT,
      compliance: { holds: true },
    });
    // Every requirement, each with the rule (its code), why it held, and the evidence.
    const byCode = Object.fromEntries(requested.payload.compliance.requirements.map((r: any) => [r.code, r]));
    expect(Object.keys(byCode).sort()).toEqual(
      [
        "OFFSHORE_INVESTOR_ELIGIBLE",
        "OFFSHORE_ISSUER_LICENSED",
        "OFFSHORE_LEGAL_OPINION",
        "ONSHORE_CROSS_BORDER_ASSESSED",
        "ONSHORE_OWNERSHIP_CONFIRMED",
        "ONSHORE_PERSONAL_INFO_TREATED",
        "ONSHORE_SANDBOX_VALIDATED",
        "ONSHORE_SECURITY_CLASSIFIED",
        "ONSHORE_VALUATION",
      ].sort(),
    );
    expect(Object.values(byCode).every((r: any) => r.holds && r.reason)).toBe(true);
    expect(byCode.OFFSHORE_INVESTOR_ELIGIBLE).toMatchObject({ subjectId: flow.investorId, evidence: flow.credentialDigest });
    expect(byCode.OFFSHORE_ISSUER_LICENSED).toMatchObject({ subjectId: flow.offeringId, evidence: "BQR123" });
    expect(byCode.OFFSHORE_LEGAL_OPINION).toMatchObject({ subjectId: flow.offeringId, evidence: digest("opinion") });
    expect(byCode.ONSHORE_CROSS_BORDER_ASSESSED).toMatchObject({ subjectId: flow.assetId, evidence: digest("scc") });
    expect(byCode.ONSHORE_PERSONAL_INFO_TREATED.evidence).toBe(digest("deid"));
    expect(byCode.ONSHORE_VALUATION.evidence).toBe(digest("valuation"));
    expect(byCode.ONSHORE_OWNERSHIP_CONFIRMED.evidence).toBe("SH-DR-2025-0001");

    expect(submitted).toMatchObject({ actor: "SYSTEM", payload: { organizationId: a.issuerOrgId, tokenAddress: flow.token } });
    expect(submitted.payload.batchId).toEqual(expect.any(String));
    expect(confirmed).toMatchObject({
      actor: "SYSTEM",
      payload: {
        txHash: m.txHash,
        batchId: submitted.payload.batchId,
        recipient: expect.any(String),
        amount: AMOUNT,
        chainId: t.chain.chainId,
      },
    });
    expect(confirmed.payload.txHash).toBe(flow.mintTx);

    // The chain agrees: that transaction was mined and minted the amount to the investor.
    const receipt = await t.chain.publicClient.getTransactionReceipt({ hash: confirmed.payload.txHash });
    expect(receipt.status).toBe("success");
    expect(receipt.blockNumber.toString()).toBe(confirmed.payload.blockNumber);
    const mints = parseEventLogs({ abi: erc20Abi, eventName: "Transfer", logs: receipt.logs }).filter(
      (l) => l.address.toLowerCase() === flow.token.toLowerCase() && l.args.from === zeroAddress,
    );
    expect(mints.map((l) => [l.args.to.toLowerCase(), l.args.value.toString()])).toEqual([[flow.wallet.toLowerCase(), AMOUNT]]);
  });

  it("the offering's trail lists its creation, its attestation and its token deploy (with the deploy's tx hash)", async () => {
    const o = (await t.gql(OFFERING_WITH_TRAIL, { id: flow.offeringId }, a.issuerToken)).data.offering;
    const trail: Event[] = o.auditTrail.data;
    expect(trail.map((e) => e.action)).toEqual(["offering.created", "compliance.attested", "offering.token_deployed", "offering.opened"]);
    expect(trail[0]).toMatchObject({
      actor: "issuer",
      actorOrgId: a.issuerOrgId,
      payload: {
        organizationId: a.issuerOrgId,
        assetIds: [flow.assetId],
        assets: [{ id: flow.assetId, status: "APPROVED", securityLevel: "GENERAL" }],
      },
    });
    expect(trail[0]!.payload.tranche.id).toBe(flow.trancheId);
    expect(trail[1]).toMatchObject({
      actor: "officer",
      payload: { requirementCode: "OFFSHORE_LEGAL_OPINION", status: "SATISFIED", evidenceDigest: digest("opinion") },
    });
    expect(trail[2]).toMatchObject({
      actor: "issuer",
      actorOrgId: a.issuerOrgId,
      payload: { trancheId: flow.trancheId, tokenAddress: o.tranches[0].tokenAddress, txHash: o.tranches[0].deployTxHash },
    });
    const deploy = await t.chain.publicClient.getTransactionReceipt({ hash: trail[2]!.payload.txHash });
    expect(deploy.contractAddress?.toLowerCase()).toBe(flow.token.toLowerCase());
  });

  it("the investor's trail lists registration, the KYC credential with its digest, the wallet proof and the whitelisting with its rule", async () => {
    const i = (await t.gql(INVESTOR_WITH_TRAIL, { id: flow.investorId }, a.officerToken)).data.investor;
    const trail: Event[] = i.auditTrail.data;
    expect(trail.map((e) => e.action)).toEqual([
      "investor.registered",
      "kyc.credential_verified",
      "wallet.challenge_issued",
      "wallet.proven",
      "investor.whitelisted",
    ]);
    const [registered, kyc, , proven, whitelisted] = trail as Event[];
    expect(registered).toMatchObject({
      actor: "issuer",
      payload: { organizationId: a.issuerOrgId, investorClass: "PROFESSIONAL", jurisdiction: "HK" },
    });
    expect(kyc).toMatchObject({
      actor: "officer",
      payload: {
        kycStatus: "VERIFIED",
        basis: "VERIFIABLE_CREDENTIAL",
        credentialDigest: flow.credentialDigest,
        issuerDid: flow.issuerDid,
        chainId: String(t.chain.chainId),
      },
    });
    expect(proven!.payload).toMatchObject({ method: "SIWE_EIP4361", walletAddress: flow.wallet });
    expect(whitelisted).toMatchObject({
      actor: "issuer",
      payload: {
        offeringId: flow.offeringId,
        trancheId: flow.trancheId,
        eligibility: { code: "OFFSHORE_INVESTOR_ELIGIBLE", holds: true, evidence: flow.credentialDigest },
        kyc: { credentialDigest: flow.credentialDigest, issuerDid: flow.issuerDid },
      },
    });
    const tx = await t.chain.publicClient.getTransactionReceipt({ hash: whitelisted!.payload.txHash });
    expect(tx.status).toBe("success");

    // The asset's trail carries its attestations' evidence, and the tokenization the mint caused.
    const asset: Event[] = (await t.gql(TRAIL, { id: flow.assetId }, a.officerToken)).data.auditTrail.data;
    const attested = asset
      .filter((e) => e.action === "compliance.attested")
      .map((e) => [e.payload.requirementCode, e.payload.evidenceDigest]);
    expect(attested).toEqual([
      ["ONSHORE_CROSS_BORDER_ASSESSED", digest("scc")],
      ["ONSHORE_PERSONAL_INFO_TREATED", digest("deid")],
      ["ONSHORE_VALUATION", digest("valuation")],
    ]);
    expect(asset.at(-1)).toMatchObject({ actor: "SYSTEM", action: "asset.transitioned", payload: { to: "TOKENIZED" } });
    // Organizations and trusted issuers are on the record too.
    expect((await t.gql(TRAIL, { id: a.issuerOrgId }, a.officerToken)).data.auditTrail.data[0]).toMatchObject({
      action: "organization.created",
      payload: { licenses: [{ type: "SFC_TYPE_9", number: "BQR123" }] },
    });
  });

  it("auditTrail follows each entity's read rule", async () => {
    const strangerIssuer = await t.tokenFor(["ISSUER"], a.providerOrgId, "stranger-issuer");
    const owner = a.ownerToken; // ASSET_OWNER: may not read investor facts
    const code = async (id: string, token?: string) => {
      const r = (await t.gql(TRAIL, { id }, token)).data.auditTrail;
      return r.__typename === "QueryAuditTrailSuccess" ? "OK" : r.code;
    };
    // Anonymous callers: the refusal investor(id) and mintRequest(id) give.
    expect(await code(flow.investorId)).toBe("UNAUTHENTICATED");
    expect(await code(flow.mintId)).toBe("UNAUTHENTICATED");
    expect((await t.gql(INVESTOR_WITH_TRAIL, { id: flow.investorId })).data.investor.code).toBe("UNAUTHENTICATED");
    expect((await t.gql(MINT_WITH_TRAIL, { id: flow.mintId })).data.mintRequest.code).toBe("UNAUTHENTICATED");
    // Another organization: a mint request is not found (as mintRequest(id) answers it)...
    expect(await code(flow.mintId, strangerIssuer)).toBe("NOT_FOUND");
    expect((await t.gql(MINT_WITH_TRAIL, { id: flow.mintId }, strangerIssuer)).data.mintRequest.code).toBe("NOT_FOUND");
    // ...an investor follows the investor rule: any issuer reads it, an asset owner is refused.
    expect(await code(flow.investorId, owner)).toBe("FORBIDDEN");
    expect(await code(flow.investorId, strangerIssuer)).toBe("OK");
    // The offering is public, its trail its issuer's: another organization is refused on the field alone.
    const seen = (await t.gql(OFFERING_WITH_TRAIL, { id: flow.offeringId }, strangerIssuer)).data.offering;
    expect(seen).toMatchObject({ __typename: "Offering", id: flow.offeringId, auditTrail: { __typename: "ForbiddenError" } });
    expect((await t.gql(OFFERING_WITH_TRAIL, { id: flow.offeringId })).data.offering.auditTrail.code).toBe("UNAUTHENTICATED");
    // Compliance reads every trail; the requester its own.
    expect(await code(flow.mintId, a.officerToken)).toBe("OK");
    expect(await code(flow.mintId, a.issuerToken)).toBe("OK");
    expect(await code(flow.offeringId, a.issuerToken)).toBe("OK");
  });

  it("later decisions are on the record too: a token pause, a reconciliation run, a KYC revocation and the unlisting it causes", async () => {
    const control = (op: string) =>
      t.gql(
        `mutation($t: ID!) { ${op}(trancheId: $t, reason: "incident 7") { __typename ... on TokenControlAction { txHash } ${ERROR_FIELDS} } }`,
        { t: flow.trancheId },
        a.issuerToken,
      );
    const paused = ok<any>(await control("pauseToken"), "pauseToken", "TokenControlAction");
    ok(await control("unpauseToken"), "unpauseToken", "TokenControlAction");
    const offering: Event[] = (await t.gql(TRAIL, { id: flow.offeringId }, a.issuerToken)).data.auditTrail.data;
    expect(offering.slice(-2).map((e) => [e.action, e.payload.trancheId, e.payload.reason])).toEqual([
      ["token.pause", flow.trancheId, "incident 7"],
      ["token.unpause", flow.trancheId, "incident 7"],
    ]);
    expect(offering.at(-2)!.payload.txHash).toBe(paused.txHash);

    const run = ok<any>(
      await t.gql(`mutation { runReconciliation { __typename ... on ReconciliationRun { id } ${ERROR_FIELDS} } }`, {}, t.adminToken),
      "runReconciliation",
      "ReconciliationRun",
    );
    const [ran] = (await t.gql(TRAIL, { id: run.id }, a.officerToken)).data.auditTrail.data;
    expect(ran).toMatchObject({
      actor: "admin",
      action: "reconciliation.ran",
      entityType: "ReconciliationRun",
      payload: { trigger: "MANUAL" },
    });
    expect((await t.gql(TRAIL, { id: run.id }, a.issuerToken)).data.auditTrail.code).toBe("FORBIDDEN");

    ok(
      await t.gql(
        `mutation($id: ID!) { verifyInvestorKyc(investorId: $id, status: REVOKED) { __typename ... on Investor { kycStatus } ${ERROR_FIELDS} } }`,
        { id: flow.investorId },
        a.officerToken,
      ),
      "verifyInvestorKyc",
      "Investor",
    );
    const investor: Event[] = (await t.gql(TRAIL, { id: flow.investorId }, a.officerToken)).data.auditTrail.data;
    const [decided, unlisted] = investor.slice(-2);
    expect(decided).toMatchObject({
      actor: "officer",
      action: "kyc.decided",
      payload: { kycStatus: "REVOKED", basis: "COMPLIANCE_OFFICER_DECISION" },
    });
    expect(unlisted).toMatchObject({
      actor: "officer",
      action: "investor.unlisted",
      payload: { trancheId: flow.trancheId, reason: "KYC REVOKED" },
    });
    expect((await t.chain.publicClient.getTransactionReceipt({ hash: unlisted!.payload.txHash })).status).toBe("success");
  });

  it("the chain verifies, and a rewritten settlement or compliance decision is reported at its seq", async () => {
    expect((await t.gql(VERIFY, {}, a.officerToken)).data.verifyAuditChain).toMatchObject({ ok: true, brokenAtSequence: null });
    const rowOf = async (action: string) =>
      (await t.database.db.select().from(schema.auditEvent).where(sql`action = ${action} and entity_id = ${flow.mintId}`))[0]!;
    await t.database.db.execute(sql`alter table audit_event disable trigger audit_event_append_only`);
    try {
      for (const [action, path, value] of [
        ["mint.confirmed", "{txHash}", JSON.stringify(`0x${"ab".repeat(32)}`)],
        ["mint.requested", "{compliance,holds}", "false"],
      ] as const) {
        const row = await rowOf(action);
        await t.database.db.execute(
          sql`update audit_event set payload = jsonb_set(payload, ${path}::text[], ${value}::jsonb) where seq = ${row.seq}`,
        );
        const v = (await t.gql(VERIFY, {}, a.officerToken)).data.verifyAuditChain;
        expect(v, action).toMatchObject({
          ok: false,
          brokenAtSequence: String(row.seq),
          reason: "hash does not match the event's content",
        });
        await t.database.db.execute(
          sql`update audit_event set payload = ${JSON.stringify(row.payload)}::text::jsonb where seq = ${row.seq}`,
        );
      }
    } finally {
      await t.database.db.execute(sql`alter table audit_event enable trigger audit_event_append_only`);
    }
    expect((await t.gql(VERIFY, {}, a.officerToken)).data.verifyAuditChain.ok).toBe(true);
  });

  it("npm run audit:export writes JSON Lines that npm run audit:verify checks offline, naming the seq of an edited line", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "audit-export-"));
    try {
      const run = promisify(execFile);
      const cli = (script: string, args: string[], env: Record<string, string | undefined> = {}) =>
        run(process.execPath, ["--import", "tsx", script, ...args], { env: { ...process.env, LOG_LEVEL: "silent", ...env } }).then(
          (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
          (e) => ({ code: e.code as number, stdout: e.stdout as string, stderr: e.stderr as string }),
        );
      // The export reads a database of its own: this test's PostgreSQL database, or (PGlite in
      // memory belongs to this process) a PGlite data directory holding the same rows.
      let dbEnv: Record<string, string>;
      if (t.database.url) {
        dbEnv = { DATABASE_URL: t.database.url };
      } else {
        const dataDir = path.join(dir, "pgdata");
        const copy = await openDatabase({ dataDir });
        const rows = await t.database.db.select().from(schema.auditEvent).orderBy(asc(schema.auditEvent.seq));
        for (let i = 0; i < rows.length; i += 500) await copy.db.insert(schema.auditEvent).values(rows.slice(i, i + 500));
        await copy.close();
        dbEnv = { DATABASE_URL: "", DATA_DIR: dataDir };
      }
      const file = path.join(dir, "trail.jsonl");
      const to = new Date(Date.now() + 60_000).toISOString();
      const exported = await cli("scripts/audit-export.ts", ["--from", startedAt.toISOString(), "--to", to, "--out", file], dbEnv);
      expect(exported.code, exported.stderr).toBe(0);
      const lines = readFileSync(file, "utf8").trimEnd().split("\n");
      const total = Number((await t.database.db.select({ n: count() }).from(schema.auditEvent))[0]!.n);
      expect(lines.length).toBe(total);
      const events = lines.map((l) => JSON.parse(l));
      expect(events[0]).toMatchObject({ seq: 1, prevHash: "0".repeat(64) });
      expect(events.every((e, i) => e.seq === i + 1 && typeof e.hash === "string" && typeof e.prevHash === "string")).toBe(true);

      const verified = await cli("scripts/audit-verify.ts", [file]);
      expect(verified.code, verified.stderr).toBe(0);
      expect(JSON.parse(verified.stdout)).toMatchObject({ ok: true, checked: total, firstSeq: 1, lastSeq: total, brokenAtSequence: null });

      // One edited line (the settlement's amount) breaks the chain at its seq.
      const at = events.findIndex((e) => e.action === "mint.confirmed" && e.entityId === flow.mintId);
      const edited = [...lines];
      edited[at] = JSON.stringify({ ...events[at], payload: { ...events[at].payload, amount: "1" } });
      const tampered = path.join(dir, "tampered.jsonl");
      writeFileSync(tampered, `${edited.join("\n")}\n`);
      const refused = await cli("scripts/audit-verify.ts", [tampered]);
      expect(refused.code).toBe(1);
      expect(JSON.parse(refused.stdout)).toMatchObject({ ok: false, brokenAtSequence: events[at].seq, brokenAtLine: at + 1, checked: at });
      expect(refused.stderr).toContain(`seq ${events[at].seq}`);

      // A stretch that starts mid-chain verifies from its own first prevHash (its anchor).
      const from = events.find((e) => e.action === "mint.requested").occurredAt;
      const slice = path.join(dir, "slice.jsonl");
      const partial = await cli("scripts/audit-export.ts", ["--from", from, "--to", to, "--out", slice], dbEnv);
      expect(partial.code, partial.stderr).toBe(0);
      const sliced = await cli("scripts/audit-verify.ts", [slice]);
      expect(sliced.code, sliced.stderr).toBe(0);
      const report = JSON.parse(sliced.stdout);
      expect(report.firstSeq).toBeGreaterThan(1);
      expect(report.anchor).toBe(events[report.firstSeq - 2].hash);
      expect(report.lastHash).toBe(events.at(-1).hash);

      expect((await cli("scripts/audit-export.ts", ["--from", "yesterday", "--to", to], dbEnv)).code).toBe(2);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
