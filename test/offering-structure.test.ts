/**
 * Structured offerings (issue 14, items 1–2), over HTTP: a three-tranche offering opens only when
 * its product rules hold (each broken rule refused with its own code, the offering left DRAFT),
 * mints are accepted only while it is OPEN and within its window (read back on chain), and the
 * lifecycle refuses illegal moves naming the current state. The clock is injected.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { randomUUID } from "node:crypto";
import { DataAssetTokenAbi } from "../src/chain/generated/DataAssetToken.js";
import { startTestGateway, type TestGateway } from "./support/harness.js";
import {
  ERROR_FIELDS,
  OPEN_OFFERING,
  REQUEST_MINT,
  createActors,
  digest,
  ok,
  registerApprovedAsset,
  registerVerifiedInvestor,
  satisfyRequirements,
  waitForMint,
  whitelistInvestor,
  type Actors,
} from "./support/flow.js";

const HOUR = 3600_000;
const DAY = 24 * HOUR;
let offset = 0;
let t: TestGateway;
let a: Actors;

beforeAll(async () => {
  t = await startTestGateway({ now: () => new Date(Date.now() + offset) });
  a = await createActors(t);
});
afterAll(async () => {
  await t?.close();
});

const E18 = 10n ** 18n;
type TrancheSpec = { seniority: string; couponKind?: string; couponBps?: number; supplyCap?: string; maturityDate?: string };
const trancheInput = (s: TrancheSpec, i: number) => ({
  name: `${s.seniority} ${i}`,
  seniority: s.seniority,
  couponKind: s.couponKind ?? "FIXED",
  couponBps: s.couponBps ?? 0,
  supplyCap: s.supplyCap ?? (100n * E18).toString(),
  price: "1000000",
  minimumTicket: "1",
  maturityDate: s.maturityDate ?? new Date(Date.now() + 365 * DAY).toISOString(),
  tokenName: `Structured ${s.seniority}`,
  tokenSymbol: `ST${s.seniority.slice(0, 3)}${i}`,
});

const STATUS = `query($id: ID!) { offering(id: $id) { __typename ... on Offering { status tranches { id seniority couponKind couponBps price maturityDate } } } }`;
const ADD_TRANCHE = `mutation($o: ID!, $input: TrancheInput!) { addTranche(offeringId: $o, input: $input) { __typename ... on Tranche { id seniority price maturityDate } ... on OfferingStateError { current attempted } ${ERROR_FIELDS} } }`;
const move = (name: string) =>
  `mutation($id: ID!) { ${name}(offeringId: $id) { __typename ... on Offering { status } ... on OfferingStateError { current attempted } ${name === "matureOffering" ? "... on OfferingNotMaturedError { maturesAt }" : ""} ${ERROR_FIELDS} } }`;

/** A DRAFT offering with the given tranches (the first created with it, the rest added), its legal opinion attested. */
async function draft(
  tranches: TrancheSpec[],
  options: { minSubordinationBps?: number; opensAt?: Date; closesAt?: Date; satisfy?: boolean } = {},
) {
  const asset = await registerApprovedAsset(t, a, `Structured ${randomUUID()}`);
  const created = ok<any>(
    await t.gql(
      `mutation($input: CreateOfferingInput!) { createOffering(input: $input) { __typename ... on Offering { id status minSubordinationBps opensAt closesAt tranches { id } } ${ERROR_FIELDS} } }`,
      {
        input: {
          name: "Structured data note",
          productType: "DEBT",
          assetIds: [asset.assetId],
          allowedInvestorClasses: ["PROFESSIONAL"],
          currency: "USD",
          termsDigest: digest("terms"),
          minSubordinationBps: options.minSubordinationBps ?? 0,
          opensAt: options.opensAt?.toISOString(),
          closesAt: options.closesAt?.toISOString(),
          tranche: trancheInput(tranches[0]!, 0),
        },
      },
      a.issuerToken,
    ),
    "createOffering",
    "Offering",
  );
  const trancheIds: string[] = [created.tranches[0].id];
  for (const [i, spec] of tranches.slice(1).entries()) {
    trancheIds.push(
      ok<any>(await t.gql(ADD_TRANCHE, { o: created.id, input: trancheInput(spec, i + 1) }, a.issuerToken), "addTranche", "Tranche").id,
    );
  }
  if (options.satisfy) {
    await satisfyRequirements(t, a, { ...asset, offeringId: created.id });
  } else {
    ok(
      await t.gql(
        `mutation($input: AttestComplianceInput!) { attestCompliance(input: $input) { __typename ... on ComplianceAttestation { id } ${ERROR_FIELDS} } }`,
        {
          input: {
            subjectId: created.id,
            requirementCode: "OFFSHORE_LEGAL_OPINION",
            status: "SATISFIED",
            evidenceDigest: digest("opinion"),
          },
        },
        a.officerToken,
      ),
      "attestCompliance",
      "ComplianceAttestation",
    );
  }
  return { offeringId: created.id as string, trancheIds, created };
}

const status = async (offeringId: string) => (await t.gql(STATUS, { id: offeringId })).data.offering.status;
const open = async (offeringId: string) => (await t.gql(OPEN_OFFERING, { id: offeringId }, a.issuerToken)).data.openOffering;
const deploy = async (trancheId: string) =>
  ok<any>(
    await t.gql(
      `mutation($id: ID!) { deployTrancheToken(trancheId: $id) { __typename ... on Tranche { tokenAddress } ${ERROR_FIELDS} } }`,
      { id: trancheId },
      a.issuerToken,
    ),
    "deployTrancheToken",
    "Tranche",
  ).tokenAddress as `0x${string}`;

const SENIOR = { seniority: "SENIOR", couponBps: 500, supplyCap: (700n * E18).toString() };
const MEZZ = { seniority: "MEZZANINE", couponBps: 800, supplyCap: (200n * E18).toString() };
const JUNIOR = { seniority: "JUNIOR", couponKind: "RESIDUAL", supplyCap: (100n * E18).toString() };

describe("offering structure: the rules checked when an offering opens", () => {
  it.each([
    ["ONE_RESIDUAL_TRANCHE", [SENIOR, MEZZ], {}],
    ["ONE_RESIDUAL_TRANCHE", [SENIOR, { ...MEZZ, couponKind: "RESIDUAL", couponBps: 0 }, JUNIOR], {}],
    [
      "RESIDUAL_MOST_JUNIOR",
      [
        { ...SENIOR, couponKind: "RESIDUAL", couponBps: 0 },
        { ...JUNIOR, couponKind: "FIXED", couponBps: 900 },
      ],
      {},
    ],
    ["RESIDUAL_MOST_JUNIOR", [SENIOR, { ...MEZZ, seniority: "JUNIOR" }, JUNIOR], {}],
    ["COUPON_ORDER", [{ ...SENIOR, couponBps: 900 }, MEZZ, JUNIOR], {}],
    // 10% below the senior tranche, 20% required.
    [
      "SUBORDINATION",
      [
        { ...SENIOR, supplyCap: (900n * E18).toString() },
        { ...MEZZ, supplyCap: (50n * E18).toString() },
        { ...JUNIOR, supplyCap: (50n * E18).toString() },
      ],
      { minSubordinationBps: 2000 },
    ],
    ["SUBSCRIPTION_WINDOW", [SENIOR, MEZZ, JUNIOR], { opensAt: new Date(Date.now() + DAY), closesAt: new Date(Date.now() + HOUR) }],
    ["SUBSCRIPTION_WINDOW", [SENIOR, MEZZ, JUNIOR], { closesAt: new Date(Date.now() - HOUR) }],
    ["TOKEN_DEPLOYED", [SENIOR, MEZZ, JUNIOR], {}],
  ] as const)("refuses %s and leaves the offering DRAFT", async (rule, tranches, options) => {
    const { offeringId } = await draft([...tranches], options);
    const refused = await open(offeringId);
    expect(refused).toMatchObject({ __typename: "OfferingStructureError", code: "OFFERING_STRUCTURE", rule });
    expect(await status(offeringId)).toBe("DRAFT");
  });

  it("refuses a RESIDUAL tranche that names a coupon rate (a validation error, nothing added)", async () => {
    const { offeringId } = await draft([SENIOR]);
    const r = await t.gql(ADD_TRANCHE, { o: offeringId, input: trancheInput({ ...JUNIOR, couponBps: 100 }, 9) }, a.issuerToken);
    expect(r.data.addTranche.__typename).toBe("ValidationError");
    expect((await t.gql(STATUS, { id: offeringId })).data.offering.tranches).toHaveLength(1);
  });

  it("refuses to open while an offering-level requirement is unmet (the legal opinion), naming it", async () => {
    const asset = await registerApprovedAsset(t, a, `No opinion ${randomUUID()}`);
    const created = ok<any>(
      await t.gql(
        `mutation($input: CreateOfferingInput!) { createOffering(input: $input) { __typename ... on Offering { id tranches { id } } ${ERROR_FIELDS} } }`,
        {
          input: {
            name: "No opinion",
            productType: "DEBT",
            assetIds: [asset.assetId],
            allowedInvestorClasses: ["PROFESSIONAL"],
            currency: "USD",
            termsDigest: digest("terms"),
            tranche: trancheInput(SENIOR, 0),
          },
        },
        a.issuerToken,
      ),
      "createOffering",
      "Offering",
    );
    await deploy(created.tranches[0].id);
    expect(await open(created.id)).toMatchObject({ __typename: "ComplianceNotSatisfiedError", unmetCodes: ["OFFSHORE_LEGAL_OPINION"] });
    expect(await status(created.id)).toBe("DRAFT");
  });

  it("opens once exactly one of two racing openOffering calls wins; the other names the state", async () => {
    const { offeringId, trancheIds } = await draft([SENIOR, MEZZ, JUNIOR], { minSubordinationBps: 1000 });
    for (const id of trancheIds) await deploy(id);
    const answers = await Promise.all([open(offeringId), open(offeringId)]);
    expect(answers.map((r) => r.__typename).sort()).toEqual(["Offering", "OfferingStateError"]);
    expect(answers.find((r) => r.__typename === "OfferingStateError")).toMatchObject({
      code: "OFFERING_STATE",
      current: "OPEN",
      attempted: "OPEN",
    });
  });
});

describe("offering lifecycle: mints only while OPEN and within the window", () => {
  it("DRAFT → OPEN → CLOSED → MATURED, with mints refused outside OPEN and the window, and illegal moves named", async () => {
    const start = Date.now();
    const opensAt = new Date(start + 30 * 60_000);
    const closesAt = new Date(start + 30 * DAY);
    const maturity = new Date(start + 365 * DAY).toISOString();
    const { offeringId, trancheIds } = await draft(
      [
        { ...SENIOR, maturityDate: maturity },
        { ...MEZZ, maturityDate: maturity },
        { ...JUNIOR, maturityDate: maturity },
      ],
      { minSubordinationBps: 1000, opensAt, closesAt, satisfy: true },
    );
    const shape = (await t.gql(STATUS, { id: offeringId })).data.offering;
    expect(shape.tranches.map((x: any) => [x.seniority, x.couponKind, x.couponBps])).toEqual([
      ["SENIOR", "FIXED", 500],
      ["MEZZANINE", "FIXED", 800],
      ["JUNIOR", "RESIDUAL", 0],
    ]);
    expect(shape.tranches[0]).toMatchObject({ price: "1000000", maturityDate: maturity });

    const tokens: `0x${string}`[] = [];
    for (const id of trancheIds) tokens.push(await deploy(id));
    const investor = await registerVerifiedInvestor(t, a);
    await whitelistInvestor(t, a, trancheIds[0]!, investor.investorId); // whitelisting happens in DRAFT
    const mint = (amount: string) =>
      t.gql(
        REQUEST_MINT,
        { input: { idempotencyKey: randomUUID(), trancheId: trancheIds[0], investorId: investor.investorId, amount } },
        a.issuerToken,
      );
    const balance = () =>
      t.chain.publicClient.readContract({
        address: tokens[0]!,
        abi: DataAssetTokenAbi,
        functionName: "balanceOf",
        args: [investor.wallet],
      });

    expect((await mint("1")).data.requestMint).toMatchObject({ __typename: "OfferingNotOpenError", code: "OFFERING_NOT_OPEN" });
    expect(await open(offeringId)).toMatchObject({ __typename: "Offering", status: "OPEN" });
    const added = await t.gql(ADD_TRANCHE, { o: offeringId, input: trancheInput(MEZZ, 7) }, a.issuerToken);
    expect(added.data.addTranche).toMatchObject({ __typename: "OfferingStateError", current: "OPEN", attempted: "ADD_TRANCHE" });

    // Before the window opens.
    expect((await mint("1")).data.requestMint).toMatchObject({ __typename: "OfferingNotOpenError" });
    offset = HOUR; // inside the window
    const accepted = (await mint("5000")).data.requestMint;
    expect(accepted).toMatchObject({ __typename: "MintRequest", status: "REQUESTED" });
    expect((await waitForMint(t, a.issuerToken, accepted.id)).status).toBe("CONFIRMED");
    expect(await balance()).toBe(5000n);
    offset = 31 * DAY; // after the window closed
    expect((await mint("1")).data.requestMint).toMatchObject({ __typename: "OfferingNotOpenError" });
    offset = HOUR;
    expect((await t.gql(move("closeOffering"), { id: offeringId }, a.issuerToken)).data.closeOffering).toMatchObject({ status: "CLOSED" });
    expect((await mint("1")).data.requestMint).toMatchObject({ __typename: "OfferingNotOpenError" });
    expect(await balance()).toBe(5000n);

    expect((await t.gql(move("cancelOffering"), { id: offeringId }, a.issuerToken)).data.cancelOffering).toMatchObject({
      __typename: "OfferingStateError",
      current: "CLOSED",
      attempted: "CANCELLED",
    });
    const early = (await t.gql(move("matureOffering"), { id: offeringId }, a.issuerToken)).data.matureOffering;
    expect(early).toMatchObject({ __typename: "OfferingNotMaturedError", code: "OFFERING_NOT_MATURED", maturesAt: maturity });
    offset = 366 * DAY;
    expect((await t.gql(move("matureOffering"), { id: offeringId }, a.issuerToken)).data.matureOffering).toMatchObject({
      status: "MATURED",
    });
    expect(await open(offeringId)).toMatchObject({ __typename: "OfferingStateError", current: "MATURED", attempted: "OPEN" });
    offset = 0;

    // Each move is on the offering's audit trail, the opening with the requirements that held.
    const TRAIL = `query($id: ID!) { offering(id: $id) { ... on Offering { auditTrail { ... on OfferingAuditTrailSuccess { data { action payload } } } } } }`;
    const trail: { action: string; payload: any }[] = (await t.gql(TRAIL, { id: offeringId }, a.issuerToken)).data.offering.auditTrail.data;
    const moves = trail.filter((e) => ["offering.opened", "offering.closed", "offering.matured"].includes(e.action));
    expect(moves.map((e) => [e.action, e.payload.from, e.payload.to])).toEqual([
      ["offering.opened", "DRAFT", "OPEN"],
      ["offering.closed", "OPEN", "CLOSED"],
      ["offering.matured", "CLOSED", "MATURED"],
    ]);
    expect(moves[0]!.payload.requirements.map((r: { code: string; holds: boolean }) => [r.code, r.holds])).toEqual([
      ["OFFSHORE_ISSUER_LICENSED", true],
      ["OFFSHORE_LEGAL_OPINION", true],
    ]);

    // Another organization's issuer may not move it.
    const otherOrg = await t.tokenFor(["ISSUER"], randomUUID(), "other-issuer");
    expect((await t.gql(move("closeOffering"), { id: offeringId }, otherOrg)).data.closeOffering.__typename).toBe("ForbiddenError");
  });

  it("cancels from DRAFT and from OPEN; a cancelled offering moves no further and mints nothing", async () => {
    const first = await draft([SENIOR]);
    expect((await t.gql(move("cancelOffering"), { id: first.offeringId }, a.issuerToken)).data.cancelOffering).toMatchObject({
      status: "CANCELLED",
    });
    expect(await open(first.offeringId)).toMatchObject({ __typename: "OfferingStateError", current: "CANCELLED", attempted: "OPEN" });

    const second = await draft([SENIOR], { satisfy: true });
    await deploy(second.trancheIds[0]!);
    const investor = await registerVerifiedInvestor(t, a);
    await whitelistInvestor(t, a, second.trancheIds[0]!, investor.investorId);
    expect(await open(second.offeringId)).toMatchObject({ status: "OPEN" });
    expect((await t.gql(move("cancelOffering"), { id: second.offeringId }, a.issuerToken)).data.cancelOffering).toMatchObject({
      status: "CANCELLED",
    });
    const r = await t.gql(
      REQUEST_MINT,
      { input: { idempotencyKey: randomUUID(), trancheId: second.trancheIds[0], investorId: investor.investorId, amount: "1" } },
      a.issuerToken,
    );
    expect(r.data.requestMint).toMatchObject({ __typename: "OfferingNotOpenError" });
    expect((await t.gql(move("closeOffering"), { id: second.offeringId }, a.issuerToken)).data.closeOffering).toMatchObject({
      current: "CANCELLED",
      attempted: "CLOSED",
    });
  });
});
