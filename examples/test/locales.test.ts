/**
 * Locales against the live API: `tests/test_example_client.py` adds Korean and publishes a
 * Korean translation of one procedure (as a medical reviewer would) before this runs.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { CombinedGraphQLErrors } from "@apollo/client/errors";
import { createClient, getLocalizedProcedure, hreflangLinks, isFallback, languageSwitcher } from "../src/index";

const API_URL = process.env.API_URL;
const KO_SLUG = process.env.KO_SLUG;
const KO_TITLE = process.env.KO_TITLE;

describe("locales (live)", { skip: !API_URL || !KO_SLUG ? "API_URL or KO_SLUG is not set" : false }, () => {
  const client = () => createClient({ uri: API_URL! });

  it("serves the Korean translation, with a switcher and hreflang links", async () => {
    const page = await getLocalizedProcedure(client(), KO_SLUG!, "ko");
    assert.ok(page);
    assert.equal(page.title, KO_TITLE);
    assert.equal(page.locale, "ko");
    assert.equal(isFallback(page), false);
    assert.deepEqual(
      languageSwitcher(page).map((entry) => [entry.locale, entry.href, entry.current]),
      [
        ["en", page.urlPath, false],
        ["ko", `/ko${page.urlPath}`, true],
      ],
    );
    assert.deepEqual(hreflangLinks(page, "https://example.com"), [
      `<link rel="alternate" hreflang="en" href="https://example.com${page.urlPath}">`,
      `<link rel="alternate" hreflang="ko" href="https://example.com/ko${page.urlPath}">`,
    ]);
  });

  it("falls back to English for an untranslated page, and says so", async () => {
    const page = await getLocalizedProcedure(client(), "botox-calf-reduction", "ko-KR");
    assert.ok(page);
    assert.equal(page.locale, "en");
    assert.equal(page.requestedLocale, "ko");
    assert.equal(isFallback(page), true);
    assert.deepEqual(page.translations.map((t) => t.locale), ["en"]);
  });

  it("refuses an unknown locale, naming the available ones", async () => {
    const error = await getLocalizedProcedure(client(), KO_SLUG!, "fr").then(
      () => assert.fail("expected an error"),
      (e: unknown) => e,
    );
    assert.ok(CombinedGraphQLErrors.is(error));
    assert.equal(error.errors[0]?.message, 'Unknown locale "fr"; available: en, ko.');
  });
});
