/** The finder against the live API: each chip's count is what tapping it finds. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { chips, createClient, find, toggle } from "../src/index";

const API_URL = process.env.API_URL;

describe("procedure finder (live)", { skip: !API_URL ? "API_URL is not set" : false }, () => {
  const client = () => createClient({ uri: API_URL! });

  it("shows chips whose counts are what a tap finds, and hides those that find nothing", async () => {
    const everything = await find(client());
    assert.equal(everything.pagination.total, 5);
    const shown = chips(everything, {});
    assert.ok(shown.length > 0);
    assert.ok(shown.every((chip) => chip.count > 0));
    const hidden = everything.facets.invasiveness.find((f) => f.value === "INVASIVE");
    assert.equal(hidden?.count, 0);
    assert.ok(!shown.some((chip) => chip.filter === "invasiveness" && chip.value === "INVASIVE"));
    for (const chip of shown) {
      const tapped = await find(client(), toggle({}, chip));
      assert.equal(tapped.pagination.total, chip.count, `${chip.filter} ${chip.value}`);
    }
  });

  it("combines values with OR inside a filter and AND across filters", async () => {
    const fat = await find(client(), { target: ["FAT"] });
    const muscle = await find(client(), { target: ["MUSCLE"] });
    const either = await find(client(), toggle({ target: ["FAT"] }, { filter: "target", value: "MUSCLE" }));
    const slugs = (f: typeof fat) => new Set(f.items.map((item) => item.slug));
    assert.deepEqual(slugs(either), new Set([...slugs(fat), ...slugs(muscle)]));
    const surgical = await find(client(), { target: ["FAT", "MUSCLE"], approach: ["SURGICAL"] });
    assert.ok(surgical.items.every((item) => slugs(either).has(item.slug)));
    // A selected chip stays shown even where it finds nothing under the others.
    const shown = chips(surgical, { target: ["FAT", "MUSCLE"], approach: ["SURGICAL"] });
    assert.ok(shown.some((chip) => chip.filter === "approach" && chip.value === "SURGICAL" && chip.selected));
  });
});
