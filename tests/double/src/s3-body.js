'use strict';
// Receives an S3 request body: decodes aws-chunked framing, hashes (MD5,
// SHA-256, the x-amz-checksum-* algorithm) while streaming, spills to a file
// past a small threshold so large uploads never sit in memory, then checks
// every integrity claim the client made, the way S3 does.

const fs = require('node:fs');
const crypto = require('node:crypto');
const { once } = require('node:events');
const { AwsError } = require('./errors');
const { AwsChunkedDecoder } = require('./chunked');
const { makeChecksum, CHECKSUM_ALGS, CHECKSUM_LEN } = require('./util');

const IN_MEMORY_MAX = 1024 * 1024;
const HEX64 = /^[0-9a-f]{64}$/;
const MODES = new Set(['UNSIGNED-PAYLOAD', 'STREAMING-UNSIGNED-PAYLOAD-TRAILER',
  'STREAMING-AWS4-HMAC-SHA256-PAYLOAD', 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER']);

// Checks the headers before any byte is read. Returns the parsed plan.
function planBody(ctx) {
  const h = ctx.req.headers;
  const mode = h['x-amz-content-sha256'];
  if (!HEX64.test(mode) && !MODES.has(mode)) {
    throw new AwsError(400, 'InvalidArgument', 'x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER, STREAMING-AWS4-HMAC-SHA256-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER or a valid sha256 value.', { ArgumentName: 'x-amz-content-sha256', ArgumentValue: mode });
  }
  const streaming = mode.startsWith('STREAMING-');
  const encodings = (h['content-encoding'] || '').split(',').map((s) => s.trim()).filter(Boolean);
  const chunked = encodings.includes('aws-chunked') || streaming;
  // HTTP chunked transfer is accepted only with aws-chunked framing, whose
  // x-amz-decoded-content-length says how much data comes (what SDK v3
  // sends for streams); a plain body must have a Content-Length.
  if (h['transfer-encoding'] && h['content-length'] === undefined && !chunked) {
    throw new AwsError(411, 'MissingContentLength', 'You must provide the Content-Length HTTP header.');
  }
  let expectedLength = null;
  if (chunked) {
    const d = h['x-amz-decoded-content-length'];
    if (d === undefined || !/^\d+$/.test(d)) {
      throw new AwsError(411, 'MissingContentLength', 'You must provide the Content-Length HTTP header.');
    }
    expectedLength = Number(d);
  }
  let md5 = null;
  if (h['content-md5'] !== undefined) {
    const b = Buffer.from(h['content-md5'], 'base64');
    if (b.length !== 16 || b.toString('base64') !== h['content-md5'].trim()) {
      throw new AwsError(400, 'InvalidDigest', 'The Content-MD5 you specified was not valid.', { 'Content-MD5': h['content-md5'] });
    }
    md5 = b.toString('hex');
  }
  // At most one checksum, in a header or announced as a trailer.
  const headerAlgs = CHECKSUM_ALGS.filter((a) => h[`x-amz-checksum-${a}`] !== undefined);
  const trailer = (h['x-amz-trailer'] || '').trim().toLowerCase();
  let checksum = null;
  if (headerAlgs.length > 1) {
    throw new AwsError(400, 'InvalidRequest', 'Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.');
  }
  if (headerAlgs.length === 1) {
    const alg = headerAlgs[0];
    checksum = { alg, value: h[`x-amz-checksum-${alg}`], where: 'header' };
    validateChecksumValue(alg, checksum.value);
  }
  if (trailer) {
    const m = /^x-amz-checksum-([a-z0-9]+)$/.exec(trailer);
    if (!m || !CHECKSUM_ALGS.includes(m[1])) throw new AwsError(400, 'InvalidRequest', `The value specified in the x-amz-trailer header is not supported`);
    if (!chunked) throw new AwsError(400, 'InvalidRequest', 'The x-amz-trailer header requires aws-chunked encoding');
    if (checksum) throw new AwsError(400, 'InvalidRequest', 'Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.');
    checksum = { alg: m[1], value: null, where: 'trailer', trailerName: trailer };
  }
  const sdkAlg = h['x-amz-sdk-checksum-algorithm'];
  if (sdkAlg && (!checksum || checksum.alg !== sdkAlg.toLowerCase())) {
    throw new AwsError(400, 'InvalidRequest', `x-amz-sdk-checksum-algorithm specified, but no corresponding x-amz-checksum-* or x-amz-trailer headers were found.`);
  }
  if (!chunked && h['content-length'] !== undefined) expectedLength = Number(h['content-length']);
  return { mode, streaming, chunked, signedChunks: mode.startsWith('STREAMING-AWS4'), trailerSigned: mode === 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER', encodings, expectedLength, md5, checksum };
}

function validateChecksumValue(alg, value) {
  const b = Buffer.from(value || '', 'base64');
  if (b.length !== CHECKSUM_LEN[alg] || b.toString('base64') !== String(value).trim()) {
    throw new AwsError(400, 'InvalidRequest', `Value for x-amz-checksum-${alg} header is invalid.`);
  }
}

// Reads the whole body. opts.toFile: spill to a file path from the state
// (large uploads); otherwise keep in memory up to opts.limit bytes.
// Returns {size, md5Hex, sha256Hex, checksum, buffer?, file?}.
// storeBody() turns either into a blob segment.
async function receiveBody(ctx, plan, opts = {}) {
  const req = ctx.req;
  const limit = opts.limit ?? Infinity;
  let decoder = null;
  if (plan.chunked) {
    let signed = null;
    if (plan.signedChunks) {
      signed = {
        signingKey: Buffer.from(await ctx.auth.signingKey()),
        amzDate: ctx.auth.amzDate, scope: ctx.auth.scope,
        seedSignature: ctx.auth.signature, trailer: plan.trailerSigned,
      };
    }
    decoder = new AwsChunkedDecoder(signed);
  }
  const rawHash = plan.streaming || plan.mode === 'UNSIGNED-PAYLOAD' ? null : crypto.createHash('sha256');
  const md5 = crypto.createHash('md5');
  const sha = crypto.createHash('sha256');
  const ck = plan.checksum ? makeChecksum(plan.checksum.alg) : null;
  let size = 0;
  let mem = [];
  let file = null;
  let ws = null;

  const sink = async (piece) => {
    size += piece.length;
    if (size > limit) throw new AwsError(400, 'MaxMessageLengthExceeded', 'Your request was too big.');
    md5.update(piece); sha.update(piece); if (ck) ck.update(piece);
    if (ws) {
      if (!ws.write(piece)) await once(ws, 'drain');
      return;
    }
    mem.push(piece);
    if (opts.toFile && size > IN_MEMORY_MAX) {
      file = ctx.state.blobs.newFilePath();
      ws = fs.createWriteStream(file);
      for (const m of mem) ws.write(m);
      mem = null;
      if (ws.writableNeedDrain) await once(ws, 'drain');
    }
  };

  try {
    // destroyOnReturn: false keeps the socket when a check fails mid-body,
    // so the error can still be answered (node drains the rest).
    for await (const chunk of req.iterator({ destroyOnReturn: false })) {
      ctx.call.bytesIn += chunk.length;
      if (rawHash) rawHash.update(chunk);
      if (decoder) {
        for (const piece of decoder.push(chunk)) await sink(piece);
      } else {
        await sink(chunk);
      }
    }
    if (!req.complete) throw new AwsError(400, 'IncompleteBody', 'The request body terminated unexpectedly');
    let trailers = {};
    if (decoder) trailers = decoder.end();
    if (ws) { ws.end(); await once(ws, 'finish'); }

    if (plan.expectedLength !== null && size !== plan.expectedLength) {
      throw new AwsError(400, 'IncompleteBody', 'You did not provide the number of bytes specified by the Content-Length HTTP header');
    }
    if (rawHash) {
      const got = rawHash.digest('hex');
      if (got !== plan.mode) {
        throw new AwsError(400, 'XAmzContentSHA256Mismatch', "The provided 'x-amz-content-sha256' header does not match what was computed.", { ClientComputedContentSHA256: plan.mode, S3ComputedContentSHA256: got });
      }
    }
    const md5Hex = md5.digest('hex');
    if (plan.md5 && plan.md5 !== md5Hex) {
      throw new AwsError(400, 'BadDigest', 'The Content-MD5 you specified did not match what we received.', { ExpectedDigest: plan.md5, CalculatedDigest: Buffer.from(md5Hex, 'hex').toString('base64') });
    }
    let checksum = null;
    if (plan.checksum) {
      const { alg } = plan.checksum;
      let value = plan.checksum.value;
      if (plan.checksum.where === 'trailer') {
        value = trailers[plan.checksum.trailerName];
        if (value === undefined) throw new AwsError(400, 'InvalidRequest', `The trailer ${plan.checksum.trailerName} was announced but not sent`);
        validateChecksumValue(alg, value);
      }
      if (ck) {
        const calc = ck.digestB64();
        if (calc !== value) {
          throw new AwsError(400, 'BadDigest', `The ${alg.toUpperCase()} you specified did not match the calculated checksum.`);
        }
      }
      checksum = { alg, value };
    }
    const result = { size, md5Hex, sha256Hex: sha.digest('hex'), checksum };
    if (file) result.file = file;
    else result.buffer = Buffer.concat(mem);
    return result;
  } catch (e) {
    if (ws) ws.destroy();
    if (file) fs.unlink(file, () => {});
    if (e instanceof AwsError) throw e;
    // The client went away mid-body.
    throw new AwsError(400, 'IncompleteBody', 'The request body terminated unexpectedly');
  }
}

// Small bodies (XML documents): same checks, returns the Buffer.
async function receiveSmallBody(ctx, limit = 4 * 1024 * 1024) {
  const plan = planBody(ctx);
  const r = await receiveBody(ctx, plan, { limit });
  return { ...r, plan };
}

// The stored Content-Encoding drops the aws-chunked framing marker.
function storedContentEncoding(plan, header) {
  if (header === undefined) return undefined;
  const rest = plan.encodings.filter((e) => e !== 'aws-chunked');
  return rest.length ? rest.join(',') : undefined;
}

// The received body as a stored segment.
function storeBody(state, body) {
  if (body.file) return state.blobs.fileSegment(body.file, body.size);
  return state.blobs.appendBuffer(body.buffer);
}

module.exports = { storeBody, planBody, receiveBody, receiveSmallBody, storedContentEncoding, validateChecksumValue };
