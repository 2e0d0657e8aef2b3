/**
 * The example client against a running API with the seed content.
 *
 *   API_URL=http://127.0.0.1:8000/graphql/ PREVIEW_TOKEN=... npm test
 *
 * Without API_URL the live suite is skipped (the exhaustiveness test still runs).
 * `tests/test_example_client.py` runs this against pytest-django's live server.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { gql } from "@apollo/client";
import { CombinedGraphQLErrors } from "@apollo/client/errors";
import {
  compareProcedures,
  comparisonTable,
  createClient,
  describeCell,
  emptyStore,
  getArticle,
  getPreview,
  getJsonLd,
  getProcedure,
  jsonLdScript,
  listAllProcedures,
  listProcedures,
  readableError,
  renderArticle,
  renderArticleBlock,
  resolveRoute,
  search,
  sha256,
  sync,
} from "../src/index";

const API_URL = process.env.API_URL;
const PREVIEW_TOKEN = process.env.PREVIEW_TOKEN;
const CORS_ORIGIN = process.env.CORS_ORIGIN ?? "http://localhost:5173";
const ORIGIN = API_URL ? new URL(API_URL).origin : "";

const SLUGS = [
  "calf-liposuction",
  "botox-calf-reduction",
  "partial-muscle-removal",
  "selective-neurectomy",
  "radio-frequency-calf-reduction",
];
const ARTICLE_SLUG = "calf-reduction-surgery-the-basics-explained";
const ARTICLE_PATH = `/${ARTICLE_SLUG}/`;

interface Exchange {
  method: string;
  url: URL;
  requestHeaders: Headers;
  body: string | null;
  status: number;
  responseHeaders: Headers;
}

/** `fetch` that remembers every request and response, for assertions on the HTTP layer. */
function recordingFetch(log: Exchange[]): typeof fetch {
  return async (input, init) => {
    const request = new Request(input, init);
    const body = init?.body ? String(init.body) : null;
    const response = await fetch(request);
    log.push({
      method: request.method,
      url: new URL(request.url),
      requestHeaders: request.headers,
      body,
      status: response.status,
      responseHeaders: response.headers,
    });
    return response;
  };
}

function assertAbsolute(url: string): void {
  assert.ok(url.startsWith(`${ORIGIN}/`), `${url} should start with ${ORIGIN}/`);
}

/** An Apollo query that must fail: the error it rejects with. */
async function failure(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  assert.fail("the query should have failed");
}

function headerList(value: string | null): string[] {
  return (value ?? "").split(",").map((item) => item.trim().toLowerCase()).filter(Boolean);
}

describe("the example client against the live API", { skip: !API_URL && "API_URL is not set" }, () => {
  const uri = API_URL ?? "";
  const client = () => createClient({ uri, clientName: "example-tests", clientVersion: "1.0.0" });

  it("lists procedures with filters and pages", async () => {
    const log: Exchange[] = [];
    const apollo = createClient({ uri, clientName: "example-tests", fetch: recordingFetch(log) });
    const first = await listProcedures(apollo, { perPage: 2 });
    assert.equal(first.pagination.total, 5);
    assert.equal(first.pagination.totalPages, 3);
    assert.equal(first.pagination.nextPage, 2);
    assert.equal(first.items.length, 2);
    // Apollo's client awareness headers went out, and were accepted.
    assert.equal(log[0]?.requestHeaders.get("apollographql-client-name"), "example-tests");
    assert.equal(log[0]?.status, 200);

    const all = await listAllProcedures(apollo, { perPage: 2 });
    assert.deepEqual(all.map((p) => p.slug).sort(), [...SLUGS].sort());
    for (const procedure of all) {
      assert.ok(procedure.id && procedure.title && procedure.summary);
      assert.ok(Array.isArray(procedure.targets) && Array.isArray(procedure.muscles));
      assert.ok(procedure.image, `${procedure.slug} should have an image`);
      assertAbsolute(procedure.image.url);
      // [375, 750] snap to the allowed widths 480 and 768; square crops.
      assert.deepEqual(procedure.image.renditions.map((r) => r.width), [480, 768]);
      for (const rendition of procedure.image.renditions) {
        assertAbsolute(rendition.url);
        assert.equal(rendition.width, rendition.height);
      }
    }

    // BOTOX is the one nonsurgical option; radio-frequency's approach is unstated (null),
    // so it matches neither filter.
    const nonsurgical = await listProcedures(apollo, { approach: "NONSURGICAL", perPage: 10 });
    assert.deepEqual(nonsurgical.items.map((p) => p.slug), ["botox-calf-reduction"]);
    assert.equal(nonsurgical.pagination.total, 1);
    assert.equal(nonsurgical.pagination.nextPage, null);
    const surgical = await listProcedures(apollo, { approach: "SURGICAL", perPage: 10 });
    assert.equal(surgical.pagination.total, 3);
  });

  it("shows a procedure's detail by slug", async () => {
    const procedure = await getProcedure(client(), "calf-liposuction");
    assert.ok(procedure);
    assert.equal(procedure.slug, "calf-liposuction");
    assert.equal(procedure.urlPath, "/procedures/calf-liposuction/");
    assert.equal(procedure.isPreview, false);
    assert.equal(typeof procedure.bodyHtml, "string");
    assert.ok(procedure.image);
    assertAbsolute(procedure.image.url);
    const sources = procedure.image.srcSet.split(",").map((s) => s.trim());
    assert.ok(sources.length > 0);
    for (const source of sources) {
      const [url, width] = source.split(/\s+/);
      assertAbsolute(url ?? "");
      assert.match(width ?? "", /^\d+w$/);
    }
    assert.deepEqual(
      procedure.relatedProcedures.map((p) => p.slug),
      ["radio-frequency-calf-reduction"],
    );
  });

  it("compares procedures side by side, unknown as unknown, each value with its source", async () => {
    const comparison = await compareProcedures(client(), [
      "radio-frequency-calf-reduction",
      "calf-liposuction",
    ]);
    assert.deepEqual(
      comparison.procedures.map((p) => p.slug),
      ["radio-frequency-calf-reduction", "calf-liposuction"],
    );
    assert.equal(comparison.rows.length, 10);
    for (const row of comparison.rows) {
      assert.deepEqual(row.cells.map((c) => c.procedureId), comparison.procedures.map((p) => p.id));
      for (const cell of row.cells) assert.equal(cell.known, cell.text !== null);
    }
    const approach = comparison.rows.find((row) => row.fact === "APPROACH");
    assert.ok(approach);
    const [radioFrequency, liposuction] = approach.cells;
    // The source does not say whether radio-frequency is surgery: unknown, never "no".
    assert.equal(radioFrequency?.known, false);
    assert.equal(radioFrequency?.source, null);
    assert.equal(radioFrequency && describeCell(radioFrequency), "Not stated");
    assert.equal(liposuction?.text, "Surgical");
    assert.equal(liposuction?.source?.source, "Calf liposuction is a surgical procedure.");
    assert.equal(liposuction?.source?.setBy, "SEED");
    const table = comparisonTable(comparison);
    assert.deepEqual(table[0], ["", "Radio-Frequency Calf Reduction", "Calf Liposuction"]);
    assert.deepEqual(table[1], ["Approach", "Not stated", "Surgical"]);
  });

  it("refuses a comparison it cannot make, naming an unknown slug", async () => {
    const tooFew = readableError(await failure(compareProcedures(client(), ["calf-liposuction"])));
    assert.deepEqual(tooFew.codes, ["BAD_USER_INPUT"]);
    assert.equal(tooFew.messages[0], "Compare 2 to 5 procedures; got 1.");
    const error = await failure(compareProcedures(client(), ["calf-liposuction", "no-such-procedure"]));
    assert.ok(CombinedGraphQLErrors.is(error), `expected CombinedGraphQLErrors, got ${error}`);
    assert.equal(error.errors[0]?.message, "No live procedure has the slug 'no-such-procedure'.");
    assert.deepEqual(error.errors[0]?.extensions?.["unknown"], ["no-such-procedure"]);
  });

  it("gives each medical page schema.org JSON-LD that is safe in a script element", async () => {
    const apollo = client();
    const text = await getJsonLd(apollo, "/procedures/calf-liposuction/");
    assert.ok(text);
    assert.ok(!/[<>&]/.test(text), "< > & must come escaped");
    const data = JSON.parse(text);
    assert.equal(data["@context"], "https://schema.org");
    assert.equal(data["@type"], "MedicalWebPage");
    assert.match(data.url, /^https?:\/\/[^/]+\/procedures\/calf-liposuction\/$/);
    assert.equal(data.about["@type"], "SurgicalProcedure");
    assert.equal(data.about.followup, "One week");
    assert.equal(jsonLdScript(text), `<script type="application/ld+json">${text}</script>`);
    const article = JSON.parse((await getJsonLd(apollo, ARTICLE_PATH)) ?? "null");
    assert.equal(article["@type"], "MedicalWebPage");
    assert.equal(article.about, undefined);
    assert.equal(await getJsonLd(apollo, "/"), null); // the home page is not a medical page
  });

  it("returns null, not an error, for an unknown slug", async () => {
    assert.equal(await getProcedure(client(), "no-such-procedure"), null);
    assert.equal(await getArticle(client(), "no-such-article"), null);
  });

  it("renders the article block by block", async () => {
    const article = await getArticle(client(), ARTICLE_SLUG);
    assert.ok(article);
    assert.equal(article.urlPath, ARTICLE_PATH);
    const count = (type: string) => article.body.filter((b) => b.__typename === type).length;
    assert.ok(count("HeadingBlock") > 0);
    assert.ok(count("ParagraphBlock") > 0);
    // `kind` names each block's type as an enum, the same as `__typename`.
    for (const block of article.body) {
      assert.equal(block.kind, block.__typename.replace(/Block$/, "").toUpperCase());
    }
    const benefits = article.body.find((b) => b.__typename === "BenefitsBlock");
    assert.ok(benefits && benefits.__typename === "BenefitsBlock" && benefits.items.length > 0);
    const procedures = article.body.flatMap((b) => (b.__typename === "ProcedureBlock" ? [b] : []));
    assert.equal(procedures.length, 5);
    assert.ok(procedures.every((b) => b.procedure !== null));
    assert.deepEqual(procedures.map((b) => b.procedure?.slug).sort(), [...SLUGS].sort());
    if (article.heroImage) assertAbsolute(article.heroImage.url);

    const html = renderArticle(article);
    assert.ok(html.startsWith(`<h1>`));
    assert.ok(html.includes("<h2"));
    assert.ok(html.includes('<ul class="benefits">'));
    for (const block of article.body) assert.equal(typeof renderArticleBlock(block), "string");
  });

  it("routes any path with page(urlPath:) and type fragments", async () => {
    const apollo = client();
    const article = await resolveRoute(apollo, ARTICLE_PATH);
    assert.equal(article.kind, "article");
    assert.ok(article.kind === "article" && article.page.procedures.length === 5);
    const procedure = await resolveRoute(apollo, "/procedures/calf-liposuction/");
    assert.equal(procedure.kind, "procedure");
    assert.ok(procedure.kind === "procedure" && procedure.page.summary.length > 0);
    assert.equal((await resolveRoute(apollo, "/no/such/page/")).kind, "notFound");
  });

  it("searches pages", async () => {
    const hits = await search(client(), "liposuction");
    assert.ok(hits.length > 0);
    assert.ok(hits.some((hit) => hit.urlPath === "/procedures/calf-liposuction/"));
    for (const hit of hits) assert.ok(hit.id && hit.title && hit.urlPath);
  });

  it("shows a draft by preview token", { skip: !PREVIEW_TOKEN && "PREVIEW_TOKEN is not set" }, async () => {
    const apollo = client();
    const draft = await getPreview(apollo, PREVIEW_TOKEN ?? "");
    assert.ok(draft, "the preview token should give a page");
    assert.equal(draft.isPreview, true);
    assert.ok(draft.id.endsWith(":preview"), `${draft.id} should end with :preview`);
    if (process.env.PREVIEW_SUMMARY && draft.__typename === "ProcedurePage") {
      assert.equal(draft.summary, process.env.PREVIEW_SUMMARY);
    }
    // A wrong token is no page, not an error.
    assert.equal(await getPreview(apollo, `${PREVIEW_TOKEN}x`), null);
  });

  it("syncs an offline store with changes(since:) while hasMore", async () => {
    const store = emptyStore();
    const requests = await sync(client(), store, { limit: 2 });
    assert.ok(requests > 1, "limit 2 should take several requests");
    const slugs = [...store.pages.values()].map((page) => page.slug);
    for (const slug of [...SLUGS, ARTICLE_SLUG]) assert.ok(slugs.includes(slug), slug);
    // The filter chips come with the pages: the muscles a full list query shows.
    const { data: chips } = await client().query<{ muscles: { slug: string }[] }>({
      query: gql`query MusclesForSyncCheck { muscles { slug } }`,
      fetchPolicy: "no-cache",
    });
    assert.ok(chips && chips.muscles.length > 0);
    assert.deepEqual(
      [...store.muscles.values()].map((muscle) => muscle.slug).sort(),
      chips.muscles.map((muscle) => muscle.slug).sort(),
    );
    assert.ok(!Number.isNaN(Date.parse(store.cursor)));
    // Nothing changed since: one request, nothing new.
    const before = store.pages.size;
    assert.equal(await sync(client(), store), 1);
    assert.equal(store.pages.size, before);
  });

  it("sends persisted queries by GET, and the responses carry an ETag", async () => {
    const log: Exchange[] = [];
    const options = { uri, persistedQueries: true, fetch: recordingFetch(log) };
    // First client: the server does not know the hash yet, so Apollo sends the text once.
    assert.ok(await getProcedure(createClient(options), "botox-calf-reduction"));
    // A second client (a second app start): the hash alone, by GET.
    log.length = 0;
    assert.ok(await getProcedure(createClient(options), "botox-calf-reduction"));
    assert.equal(log.length, 1);
    const [exchange] = log;
    assert.ok(exchange);
    assert.equal(exchange.method, "GET");
    assert.equal(exchange.url.searchParams.get("query"), null);
    const extensions = JSON.parse(exchange.url.searchParams.get("extensions") ?? "{}");
    assert.equal(extensions.persistedQuery?.version, 1);
    assert.match(extensions.persistedQuery?.sha256Hash ?? "", /^[0-9a-f]{64}$/);
    assert.equal(exchange.status, 200);
    const etag = exchange.responseHeaders.get("etag");
    assert.ok(etag, "a public GET response should carry an ETag");

    // The same GET with If-None-Match is a 304 (what a browser or CDN does for you).
    const again = await fetch(exchange.url, {
      headers: { accept: "application/graphql-response+json", "if-none-match": etag },
    });
    assert.equal(again.status, 304);
  });

  it("computes the same sha256 as the server expects", () => {
    assert.equal(sha256("{ muscles { id } }").length, 64);
  });

  it("surfaces validation errors as CombinedGraphQLErrors", async () => {
    const error = await failure(
      client().query({ query: gql`query Broken { procedure(slug: "calf-liposuction") { noSuchField } }` }),
    );
    assert.ok(CombinedGraphQLErrors.is(error), `expected CombinedGraphQLErrors, got ${error}`);
    assert.match(error.message, /noSuchField/);
    const readable = readableError(error);
    assert.equal(readable.kind, "graphql");
    assert.ok(readable.codes.length > 0);
    assert.ok(readable.codes.every((c) => c === "GRAPHQL_VALIDATION_FAILED"), String(readable.codes));
    assert.match(readable.messages[0] ?? "", /noSuchField/);
  });

  it("surfaces the depth limit as CombinedGraphQLErrors with the server's message", async () => {
    let selection = "id";
    for (let level = 0; level < 14; level++) selection = `relatedProcedures { ${selection} }`;
    const query = `query TooDeep { procedure(slug: "calf-liposuction") { ${selection} } }`;

    const error = await failure(client().query({ query: gql(query) }));
    assert.ok(CombinedGraphQLErrors.is(error), `expected CombinedGraphQLErrors, got ${error}`);
    const readable = readableError(error);
    assert.match(readable.messages[0] ?? "", /depth/i, "the server's message should come through");
    assert.ok(readable.codes.length > 0);
    assert.ok(readable.codes.every((code) => code === "QUERY_TOO_COMPLEX"), String(readable.codes));

    // On the wire: 400 with application/graphql-response+json, as Apollo Client 4 asks for.
    const response = await fetch(uri, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        accept: "application/graphql-response+json,application/json;q=0.9",
      },
      body: JSON.stringify({ query }),
    });
    assert.equal(response.status, 400);
    assert.match(response.headers.get("content-type") ?? "", /^application\/graphql-response\+json/);
    const payload = (await response.json()) as { errors?: { message: string }[] };
    assert.equal(payload.errors?.[0]?.message, readable.messages[0]);
  });

  it("allows a browser app on another origin (CORS)", async () => {
    const preflight = await fetch(uri, {
      method: "OPTIONS",
      headers: {
        origin: CORS_ORIGIN,
        "access-control-request-method": "POST",
        "access-control-request-headers": "apollographql-client-name,content-type",
      },
    });
    assert.ok(preflight.status === 200 || preflight.status === 204, `preflight: ${preflight.status}`);
    assert.equal(preflight.headers.get("access-control-allow-origin"), CORS_ORIGIN);
    const allowed = headerList(preflight.headers.get("access-control-allow-headers"));
    for (const header of ["apollographql-client-name", "content-type"]) {
      assert.ok(allowed.includes(header), `${header} should be allowed: ${allowed}`);
    }

    const actual = await fetch(
      `${uri}?${new URLSearchParams({ query: '{ procedure(slug: "calf-liposuction") { id } }' })}`,
      { headers: { origin: CORS_ORIGIN, "apollographql-client-name": "example-tests" } },
    );
    assert.equal(actual.status, 200);
    assert.equal(actual.headers.get("access-control-allow-origin"), CORS_ORIGIN);
    assert.ok(actual.headers.get("etag"));
    const exposed = headerList(actual.headers.get("access-control-expose-headers"));
    for (const header of ["etag", "x-cache"]) {
      assert.ok(exposed.includes(header), `${header} should be exposed: ${exposed}`);
    }
  });
});
