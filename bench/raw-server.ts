/**
 * The physical limit: the same answers fetched by ONE hand-written postgres.js query per
 * request behind a bare node:http handler (no GraphQL, no validation, no auth).
 * usage: tsx bench/raw-server.ts <postgres url> <port>
 * POST /list {"category": "..."}   POST /search {"q": "..."}
 */
import { createServer } from "node:http";
import postgres from "postgres";

const [url, port] = process.argv.slice(2);
const sql = postgres(url!, { max: 10 });

const NESTED = `
  a.id, a.title, a.category, a.status,
  json_build_object('id', o.id, 'name', o.name) as owner,
  (select coalesce(json_agg(json_build_object('holderOrgId', r.holder_org_id, 'rightType', r.right_type, 'shareBps', r.share_bps) order by r.created_at), '[]'::json)
     from ownership_right r where r.asset_id = a.id) as "ownershipRights",
  (select json_build_object('kind', p.kind, 'outputDigest', p.output_digest, 'startedAt', p.started_at)
     from provenance_activity p where p.asset_id = a.id order by p.started_at desc limit 1) as "latestProvenance"`;

async function list(category: string) {
  const [row] = await sql.unsafe(
    `select coalesce(json_agg(x), '[]'::json) as items from (
       select ${NESTED} from data_asset a join organization o on o.id = a.owner_org_id
       where a.category = $1 and a.status in ('APPROVED', 'OFFERED', 'TOKENIZED')
       order by a.created_at desc, a.id desc limit 50) x`,
    [category],
  );
  return row!.items;
}

async function search(q: string) {
  const [row] = await sql.unsafe(
    `select coalesce(json_agg(x), '[]'::json) as items from (
       select ${NESTED} from data_asset a join organization o on o.id = a.owner_org_id
       where a.search_vector @@ websearch_to_tsquery('english', $1) and a.status in ('APPROVED', 'OFFERED', 'TOKENIZED')
       order by ts_rank(a.search_vector, websearch_to_tsquery('english', $1)) desc, a.created_at desc, a.id desc limit 50) x`,
    [q],
  );
  return row!.items;
}

createServer(async (req, res) => {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  try {
    const body = JSON.parse(Buffer.concat(chunks).toString() || "{}");
    const items = req.url === "/search" ? await search(body.q) : await list(body.category);
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ items }));
  } catch (error) {
    res.writeHead(500);
    res.end(String(error));
  }
}).listen(Number(port), "127.0.0.1", () => console.log(`READY http://127.0.0.1:${port}`));
