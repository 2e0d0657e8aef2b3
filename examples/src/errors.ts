/** Turning Apollo Client 4's error classes into something an app can show or log. */
import {
  CombinedGraphQLErrors,
  CombinedProtocolErrors,
  ServerError,
  ServerParseError,
} from "@apollo/client/errors";

export interface ReadableError {
  kind: "graphql" | "http" | "network" | "unknown";
  /** The server's messages, or the transport's. */
  messages: string[];
  /** `extensions.code` of each GraphQL error, e.g. GRAPHQL_VALIDATION_FAILED, QUERY_TOO_COMPLEX. */
  codes: string[];
  /** For INTERNAL_SERVER_ERROR: the id to quote to the API team. */
  requestId?: string;
}

export function readableError(error: unknown): ReadableError {
  if (CombinedGraphQLErrors.is(error)) {
    // The request reached the server, which answered with `errors` (a 400 with
    // application/graphql-response+json for a request that cannot run, or a 200 with data).
    const requestId = error.errors
      .map((e) => e.extensions?.["requestId"])
      .find((id): id is string => typeof id === "string");
    return {
      kind: "graphql",
      messages: error.errors.map((e) => e.message),
      codes: error.errors.map((e) => String(e.extensions?.["code"] ?? "")),
      ...(requestId ? { requestId } : {}),
    };
  }
  if (CombinedProtocolErrors.is(error)) {
    return { kind: "graphql", messages: error.errors.map((e) => e.message), codes: [] };
  }
  if (ServerError.is(error)) {
    return { kind: "http", messages: [`HTTP ${error.statusCode}: ${error.message}`], codes: [] };
  }
  if (ServerParseError.is(error)) {
    return { kind: "http", messages: [`Unreadable response (HTTP ${error.statusCode})`], codes: [] };
  }
  if (error instanceof Error) {
    return { kind: "network", messages: [error.message], codes: [] };
  }
  return { kind: "unknown", messages: [String(error)], codes: [] };
}
