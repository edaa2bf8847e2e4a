// The peer: PostGraphile 5 (Amber preset) over the same tables, on a bare node:http server.
// usage: node bench/postgraphile-server.mjs <postgres url> <port>
import "./node22-polyfills.mjs";
import { createServer } from "node:http";
import { postgraphile } from "postgraphile";
import { PostGraphileAmberPreset } from "postgraphile/presets/amber";
import { makePgService } from "postgraphile/adaptors/pg";
import { grafserv } from "postgraphile/grafserv/node";

const [url, port] = process.argv.slice(2);
const preset = {
  extends: [PostGraphileAmberPreset],
  // Amber only lets you filter and order by indexed columns; allow the same query we serve.
  disablePlugins: ["PgIndexBehaviorsPlugin"],
  pgServices: [makePgService({ connectionString: url, schemas: ["public"], poolConfig: { max: 10 } })],
  grafserv: { graphqlPath: "/graphql", watch: false },
  grafast: { explain: false },
};
const pgl = postgraphile(preset);
const serv = pgl.createServ(grafserv);
const server = createServer();
await serv.addTo(server);
server.listen(Number(port), "127.0.0.1", () => console.log(`READY http://127.0.0.1:${port}/graphql`));
