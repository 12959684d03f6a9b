#!/usr/bin/env node
// SPDX-License-Identifier: Apache-2.0
//
// Differential test of airlock's C SigV4 signer (build/tests/sigv4_cli)
// against @smithy/signature-v4, the signer of the AWS SDK for JavaScript v3.
// It generates seeded random requests (unicode, reserved characters, "//",
// "." and ".." segments, spaces, '+', '%' in paths; repeated, empty and
// unicode query parameters; header values with runs of spaces and tabs;
// signer-ignored headers; with and without a session token; S3 and non-S3
// rules), signs each with both, and compares the Authorization header, the
// wire path and query, and the presigned URL query. All C requests go
// through one process on stdin.
//
// Environment: SIGV4_SEED (default 20150830), SIGV4_COUNT (default 1200),
// SIGV4_CLI (default build/tests/sigv4_cli).
// Ends with "N passed, N failed" (two checks per request: header and presign).
//
// How each side sees the request, so the comparison is fair:
// - The C signer takes the path unencoded, as a caller means it, and encodes
//   it itself. smithy takes `request.path` as the SDK's serializers produce
//   it: each label percent-encoded once with '/' kept (escapeUriPath below,
//   the same rule as the SDK's extendedEncodeURIComponent). For S3
//   (uriEscapePath: false) smithy signs that path as is; for other services
//   (uriEscapePath: true) it normalises it and encodes it a second time. We
//   do not hand smithy the C wire path: the expected wire path is computed
//   here independently and compared with the C one.
// - smithy takes one value per header (a JS object). Repeated headers go to
//   C as separate entries and to smithy joined with ',' after trimming each
//   value, as HTTP combines field lines (OWS around each value is not part
//   of it).
// - smithy's query is an object too: repeated names become arrays, and a
//   bare key is "" (C gets null for some of them, read as "").
// - S3 payload hash: header x-amz-content-sha256 (smithy reads it from
//   there; C gets payload_hash and adds the header itself). Non-S3: smithy
//   hashes the body (applyChecksum: false, so it adds no header); C gets
//   the hex SHA-256 computed here.
// - Not generated, on purpose: Date (smithy's prepareRequest deletes it,
//   while AWS's S3 examples sign it; the unit tests cover that), x-amz-date,
//   x-amz-security-token and x-amz-content-sha256 from the caller (the C
//   signer owns them and refuses them), CR/LF in header values (C refuses
//   them), non-ASCII header values, lone surrogates.
// - Presign: smithy hoists x-amz-* headers into the query; the C presigner
//   signs them as headers, so they are marked unhoistable for smithy. For S3
//   the payload hash header is also marked unsignable (C never signs it in a
//   presigned URL).
"use strict";

const path = require("path");
const crypto = require("crypto");
const { spawnSync } = require("child_process");
const { SignatureV4, getCanonicalQuery } = require("@smithy/signature-v4");
const { Sha256 } = require("@aws-crypto/sha256-js");

const SEED = Number(process.env.SIGV4_SEED || 20150830);
const COUNT = Number(process.env.SIGV4_COUNT || 1200);
const CLI = process.env.SIGV4_CLI || path.resolve(__dirname, "../../build/tests/sigv4_cli");
const EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

// mulberry32: small, seedable, good enough for test data.
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const rand = rng(SEED);
const int = (lo, hi) => lo + Math.floor(rand() * (hi - lo + 1));
const chance = (p) => rand() < p;
const pick = (arr) => arr[Math.floor(rand() * arr.length)];

// The SDK's escapeUri / escapeUriPath (@smithy/core/protocols), restated.
const escapeUri = (s) =>
  encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
const escapeUriPath = (p) => p.split("/").map(escapeUri).join("/");

// smithy's getCanonicalPath normalisation (non-S3), restated for the expected wire path.
function normalizePath(p) {
  const segs = [];
  for (const s of p.split("/")) {
    if (s === "" || s === ".") continue;
    if (s === "..") segs.pop();
    else segs.push(s);
  }
  return `/${segs.join("/")}${segs.length > 0 && p.endsWith("/") ? "/" : ""}`;
}

const UNICODE = ["é", "ሴ", "日本語", "😀", "ü", "Ω", "ß", "\u00a0", "\u2028", "한"];
const PATH_CHARS = "abcXYZ019-._~ !$&'()*+,;=:@%?#[]\"<>\\^`{|}";
const VALUE_CHARS = "abcXYZ019-._~ !$&'()*+,;=:@%/?#[]";

function randString(chars, lo, hi, unicode) {
  let s = "";
  const n = int(lo, hi);
  for (let i = 0; i < n; i++) s += unicode && chance(0.15) ? pick(UNICODE) : chars[int(0, chars.length - 1)];
  return s;
}

function randPath() {
  const fixed = ["bucket", "key", "a b", "a  b", " ", "+", "%", "%20", "%2F", "..", ".", "", "...",
    ".hidden", "a.b", "x+y=z", "é", "ሴ", "😀 smile", "100%", "$file", "~user", "a..b"];
  const segs = [];
  const n = int(0, 6);
  for (let i = 0; i < n; i++) segs.push(chance(0.5) ? pick(fixed) : randString(PATH_CHARS, 1, 8, true));
  return `/${segs.join("/")}${n && chance(0.3) ? "/" : ""}`;
}

function randQuery() {
  const names = ["a", "A", "b", "key", "Key", "prefix", "max-keys", "list-type", "x y", "é", "ሴ",
    "%", "+", "a=b", "&", "😀", "continuation-token", "~", "-_.", "uploads", "versionId"];
  const q = [];
  const n = int(0, 6);
  for (let i = 0; i < n; i++) {
    const name = q.length && chance(0.25) ? pick(q)[0] : chance(0.7) ? pick(names) : randString(VALUE_CHARS, 1, 6, true);
    let value;
    const r = rand();
    if (r < 0.1) value = null;
    else if (r < 0.25) value = "";
    else value = randString(VALUE_CHARS, 1, 12, true);
    q.push([name, value]);
  }
  return q;
}

function randHeaderValue() {
  const parts = [];
  const n = int(0, 4);
  for (let i = 0; i < n; i++) parts.push(randString("abcXYZ019-._~!$&'()*+,;=:@%/?#[]\"", 1, 6, false));
  const gap = () => pick([" ", "  ", "   ", "\t", " \t ", "    "]);
  let v = parts.join(chance(0.5) ? gap() : " ");
  if (chance(0.3)) v = gap() + v;
  if (chance(0.3)) v += gap();
  return v;
}

function randHeaders(host) {
  const names = ["Content-Type", "content-type", "X-Amz-Meta-Foo", "x-amz-meta-foo", "X-Custom", "Range",
    "Content-MD5", "If-None-Match", "x-amz-storage-class", "x-amz-acl", "My-Header1", "Content-Length",
    "Content-Encoding", "Content-Disposition", "X-Amz-Target", "Accept",
    // never signed (smithy's ALWAYS_UNSIGNABLE_HEADERS and the proxy-/sec- prefixes)
    "Cache-Control", "User-Agent", "Expect", "Connection", "X-Amzn-Trace-Id", "Proxy-Authorization",
    "Sec-Fetch-Mode", "TE", "Referer", "Pragma", "From", "Max-Forwards", "Keep-Alive",
    "Transfer-Encoding", "Upgrade", "Trailer", "Authorization"];
  const h = [[pick(["Host", "host", "HOST"]), host]];
  const n = int(0, 6);
  for (let i = 0; i < n; i++) {
    let name;
    if (h.length > 1 && chance(0.25)) {
      // a repeat, possibly in another case
      const prev = pick(h.slice(1))[0];
      name = chance(0.5) ? prev : chance(0.5) ? prev.toUpperCase() : prev.toLowerCase();
    } else {
      name = chance(0.85) ? pick(names) : `X-${randString("abcXYZ019-!#$%&'*+.^_`|~", 1, 8, false)}`;
    }
    h.push([name, randHeaderValue()]);
  }
  return h;
}

function randCredentials() {
  const up = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  const b64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  const c = {
    accessKeyId: `AKIA${randString(up, 16, 16, false)}`,
    secretAccessKey: randString(b64, 40, 40, false),
  };
  if (chance(0.5)) c.sessionToken = `${randString(b64, 40, 400, false)}==`;
  return c;
}

function makeCase(id) {
  const s3 = chance(0.5);
  const host = s3 ? pick(["examplebucket.s3.amazonaws.com", "b.s3.eu-west-3.amazonaws.com", "localhost:4566"])
    : pick(["lambda.us-east-1.amazonaws.com", "cloudformation.eu-west-3.amazonaws.com", "example.amazonaws.com"]);
  const rawPath = randPath();
  const query = randQuery();
  const body = chance(0.2) ? undefined : randString(VALUE_CHARS, 0, 40, true);
  const bodyHash = crypto.createHash("sha256").update(body === undefined ? "" : body, "utf8").digest("hex");
  return {
    id,
    s3,
    method: pick(["GET", "PUT", "POST", "DELETE", "HEAD", "PATCH", "OPTIONS"]),
    rawPath,
    query,
    // a bare key reaches C as null or "" (both mean "key=")
    cQuery: query.map(([k, v]) => [k, v === null && chance(0.5) ? "" : v]),
    headers: randHeaders(host),
    body,
    payloadHash: s3 ? pick([bodyHash, "UNSIGNED-PAYLOAD", EMPTY_SHA256]) : bodyHash,
    region: pick(["us-east-1", "eu-west-3", "ap-southeast-2", "us-gov-west-1", "cn-north-1"]),
    service: s3 ? "s3" : pick(["lambda", "cloudformation", "sts", "monitoring", "cloudfront", "execute-api"]),
    credentials: randCredentials(),
    time: int(946684800, 2145916800), // 2000 .. 2038
    expires: int(1, 604800),
  };
}

// What the C tool reads.
function cRequest(c) {
  return JSON.stringify({
    id: c.id,
    method: c.method,
    path: c.rawPath,
    query: c.cQuery,
    headers: c.headers,
    payload_hash: c.payloadHash,
    region: c.region,
    service: c.service,
    s3: c.s3,
    access_key_id: c.credentials.accessKeyId,
    secret_access_key: c.credentials.secretAccessKey,
    session_token: c.credentials.sessionToken || null,
    time: c.time,
    presign_expires: c.expires,
  });
}

// What smithy reads: the request as an SDK client would build it.
function smithyRequest(c) {
  const headers = {};
  const byLower = new Map();
  for (const [name, value] of c.headers) {
    const lower = name.toLowerCase();
    const trimmed = value.replace(/^[ \t]+|[ \t]+$/g, "");
    if (byLower.has(lower)) headers[byLower.get(lower)] += `,${trimmed}`;
    else {
      byLower.set(lower, name);
      headers[name] = trimmed;
    }
  }
  if (c.s3) headers["x-amz-content-sha256"] = c.payloadHash;
  const query = {};
  for (const [name, value] of c.query) {
    const v = value === null ? "" : value;
    if (!Object.prototype.hasOwnProperty.call(query, name)) query[name] = v;
    else if (Array.isArray(query[name])) query[name].push(v);
    else query[name] = [query[name], v];
  }
  return {
    method: c.method,
    protocol: "https:",
    hostname: c.headers[0][1],
    path: escapeUriPath(c.rawPath),
    query,
    headers,
    body: c.s3 ? undefined : c.body,
  };
}

function sortedParams(qs) {
  return qs === "" ? [] : qs.split("&").sort();
}

function serializeQuery(query) {
  const out = [];
  for (const [k, v] of Object.entries(query)) for (const x of Array.isArray(v) ? v : [v]) out.push(`${escapeUri(k)}=${escapeUri(x)}`);
  return out.sort();
}

async function main() {
  const cases = [];
  for (let i = 0; i < COUNT; i++) cases.push(makeCase(i));

  const run = spawnSync(CLI, [], {
    input: `${cases.map(cRequest).join("\n")}\n`,
    encoding: "utf8",
    maxBuffer: 1 << 30,
  });
  if (run.error || run.status !== 0) {
    console.log(`sigv4_cli failed: ${run.error ? run.error.message : `exit ${run.status}`}`);
    if (run.stderr) console.log(run.stderr.slice(0, 4000));
    console.log(`0 passed, 1 failed`);
    process.exit(1);
  }
  const replies = new Map();
  for (const line of run.stdout.split("\n")) if (line) {
    const r = JSON.parse(line);
    replies.set(r.id, r);
  }

  let passed = 0;
  let failed = 0;
  const mismatchKinds = new Set();
  const report = (c, what, got, want, extra) => {
    failed++;
    mismatchKinds.add(what.startsWith("presign") ? "presign" : "header");
    if (failed > 10) return;
    console.log(`MISMATCH #${c.id} (${c.s3 ? "s3" : c.service}) ${what}`);
    console.log(`  request: ${cRequest(c)}`);
    console.log(`  C:       ${JSON.stringify(got)}`);
    console.log(`  smithy:  ${JSON.stringify(want)}`);
    if (extra) console.log(`  C canonical request:\n${extra.replace(/^/gm, "    ")}`);
  };

  for (const c of cases) {
    const reply = replies.get(c.id);
    const signer = new SignatureV4({
      credentials: c.credentials,
      region: c.region,
      service: c.service,
      sha256: Sha256,
      uriEscapePath: !c.s3,
      applyChecksum: false,
    });
    const signingDate = new Date(c.time * 1000);
    if (!reply || reply.error) {
      report(c, "C signer error", reply ? reply.error : "no reply", "a signature");
      failed++; // the presign check is lost too
      continue;
    }

    // Header signing.
    const signed = await signer.sign(smithyRequest(c), { signingDate });
    const wantPath = escapeUriPath(c.s3 ? c.rawPath : normalizePath(c.rawPath));
    const wantQuery = getCanonicalQuery(smithyRequest(c));
    if (reply.authorization !== signed.headers.authorization) {
      report(c, "Authorization", reply.authorization, signed.headers.authorization, reply.canonical_request);
    } else if (reply.wire_path !== wantPath) {
      report(c, "wire path", reply.wire_path, wantPath);
    } else if (reply.wire_query !== wantQuery) {
      report(c, "wire query", reply.wire_query, wantQuery);
    } else {
      passed++;
    }

    // Presigned URL.
    const unhoistable = new Set(c.headers.map(([n]) => n.toLowerCase()).filter((n) => n.startsWith("x-amz-")));
    unhoistable.add("x-amz-content-sha256");
    const presigned = await signer.presign(smithyRequest(c), {
      signingDate,
      expiresIn: c.expires,
      unhoistableHeaders: unhoistable,
      unsignableHeaders: c.s3 ? new Set(["x-amz-content-sha256"]) : undefined,
    });
    const got = sortedParams(reply.presigned_query || "");
    const want = serializeQuery(presigned.query);
    if (got.join("&") !== want.join("&")) {
      report(c, "presigned query", got.join("&"), want.join("&"), reply.presign_canonical_request);
    } else if (reply.presigned_path !== wantPath) {
      report(c, "presigned path", reply.presigned_path, wantPath);
    } else {
      passed++;
    }
  }
  if (failed > 10) console.log(`(${failed - 10} more mismatches not shown)`);
  console.log(`seed ${SEED}, ${COUNT} requests, header signing and presigning each: ` +
    `${passed} of ${passed + failed} signatures agree`);
  // The suite counts two cases (header signing, presigning), not one per request.
  const headerOk = !mismatchKinds.has("header"), presignOk = !mismatchKinds.has("presign");
  console.log(`${(headerOk ? 1 : 0) + (presignOk ? 1 : 0)} passed, ${(headerOk ? 0 : 1) + (presignOk ? 0 : 1)} failed`);
  process.exit(failed ? 1 : 0);
}

main().catch((e) => {
  console.log(`differential.js crashed: ${e && e.stack ? e.stack : e}`);
  console.log("0 passed, 1 failed");
  process.exit(1);
});
