vcl 4.1;
# Varnish 7 in front of the CMS: caches anonymous GraphQL reads and purges them by tag.
# Needs varnish-modules' xkey (Debian: varnish varnish-modules). The backend is templated:
# `make varnish` and tests/test_varnish.py substitute BACKEND_HOST and BACKEND_PORT.

import xkey;

backend default {
    .host = "BACKEND_HOST";
    .port = "BACKEND_PORT";
}

# Who may purge: the app servers (HTTP_CACHE_PURGE_URLS points here). Add their addresses.
acl purgers {
    "localhost";
    "127.0.0.1";
    "::1";
}

sub vcl_recv {
    if (req.method == "PURGE") {
        if (client.ip !~ purgers) {
            return (synth(403, "Forbidden"));
        }
        if (!req.http.xkey-purge) {
            return (synth(400, "xkey-purge header missing"));
        }
        # xkey.purge takes the keys separated by spaces; how many objects went is reported.
        set req.http.n-gone = xkey.purge(req.http.xkey-purge);
        return (synth(200, "Purged " + req.http.n-gone));
    }
    if (req.method != "GET" && req.method != "HEAD") {
        return (pass);
    }
    # Only the API's public reads: admin, front end, media and everything else go through.
    if (req.url !~ "^/graphql/?(\?|$)") {
        return (pass);
    }
    # An editor (session cookie), any credentials, or a preview token: never shared.
    if (req.http.Cookie || req.http.Authorization || req.url ~ "(?i)token") {
        return (pass);
    }
    # The rest of the key is the URL and the host (the default vcl_hash); the backend's
    # Vary (Origin, Accept, Accept-Encoding) keeps one copy per variant.
    return (hash);
}

sub vcl_backend_response {
    # No grace: an answer is never served past its s-maxage, which the backend ends at the next
    # scheduled expiry or go-live. Then the built-in rules: kept as long as the backend's
    # Cache-Control says (s-maxage first); no-store, private or Set-Cookie answers never are.
    set beresp.grace = 0s;
}

sub vcl_deliver {
    if (obj.hits > 0) {
        set resp.http.X-Cache-Varnish = "HIT";
    } else {
        set resp.http.X-Cache-Varnish = "MISS";
    }
    # The tags are for this cache (and any CDN in front reading Surrogate-Key or Cache-Tag
    # must be configured apart): clients never see them.
    unset resp.http.xkey;
    unset resp.http.Surrogate-Key;
    unset resp.http.Cache-Tag;
}
