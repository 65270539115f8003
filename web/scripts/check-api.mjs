// Fails when src/api/schema.d.ts is not what openapi-typescript makes of openapi.json
// (someone edited it by hand, or regenerated the snapshot without the types).
// `make web-client` regenerates both; tests/web/test_openapi_snapshot.py checks the snapshot
// against the server's routes.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const dir = mkdtempSync(join(tmpdir(), "qm-api-"));
const out = join(dir, "schema.d.ts");
try {
  const run = spawnSync(
    process.execPath,
    ["node_modules/openapi-typescript/bin/cli.js", "openapi.json", "--default-non-nullable", "false", "-o", out],
    { encoding: "utf8" },
  );
  if (run.status !== 0) {
    process.stderr.write(run.stdout + run.stderr);
    process.exit(1);
  }
  if (readFileSync(out, "utf8") !== readFileSync("src/api/schema.d.ts", "utf8")) {
    console.error("src/api/schema.d.ts does not match openapi.json: run `make web-client` and commit both.");
    process.exit(1);
  }
  console.log("src/api/schema.d.ts matches openapi.json");
} finally {
  rmSync(dir, { recursive: true, force: true });
}
