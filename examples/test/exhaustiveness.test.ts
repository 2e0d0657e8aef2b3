/**
 * `renderArticleBlock` switches over every ArticleBlock type with `const _exhaustive: never`.
 * This proves the check bites: a switch that misses a block type must not compile.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { it } from "node:test";

const root = fileURLToPath(new URL("..", import.meta.url));
const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");

function compile(project: string) {
  return spawnSync(process.execPath, [tsc, "--noEmit", "-p", project], { cwd: root, encoding: "utf8" });
}

it("tsc rejects a block switch that misses a block type", () => {
  const result = compile("test/fixtures/tsconfig.json");
  const output = result.stdout + result.stderr;
  assert.notEqual(result.status, 0, `tsc should fail:\n${output}`);
  assert.match(output, /missing-case\.ts.*error TS2322/);
  assert.match(output, /ProcedureBlock/);
  assert.match(output, /not assignable to type 'never'/);
});

it("tsc accepts the example client, whose switch covers every block type", () => {
  const result = compile("tsconfig.json");
  assert.equal(result.status, 0, result.stdout + result.stderr);
});
