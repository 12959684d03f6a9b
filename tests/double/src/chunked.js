'use strict';
// Streaming decoder for S3's aws-chunked bodies:
//   hex-size[;chunk-signature=sig]\r\n data \r\n ... 0[;chunk-signature=sig]\r\n
//   [trailer-name:value\r\n ...][x-amz-trailer-signature:sig\r\n]\r\n
// With a signed mode every chunk signature is checked against the previous
// one (the seed is the Authorization signature), as S3 does.

const crypto = require('node:crypto');
const { AwsError } = require('./errors');
const { EMPTY_SHA256, sha256Hex } = require('./util');

const MAX_LINE = 8192;
const MIN_SIGNED_CHUNK = 8192;

class AwsChunkedDecoder {
  // signed: {signingKey (Buffer), amzDate, scope, seedSignature} or null
  constructor(signed) {
    this.signed = signed;
    this.prevSig = signed ? signed.seedSignature : null;
    this.state = 'header';
    this.line = [];
    this.lineLen = 0;
    this.remaining = 0;
    this.chunkSig = null;
    this.chunkHash = null;
    this.lastSize = -1;
    this.trailers = {};
    this.trailerLines = [];
    this.trailerSignature = null;
    this.done = false;
  }

  // Feeds raw bytes; returns decoded data buffers.
  push(buf) {
    const out = [];
    let i = 0;
    while (i < buf.length) {
      if (this.done) {
        // Bytes after the terminating blank line: tolerate only whitespace.
        i++;
        continue;
      }
      if (this.state === 'data') {
        const n = Math.min(this.remaining, buf.length - i);
        const piece = buf.subarray(i, i + n);
        if (this.chunkHash) this.chunkHash.update(piece);
        out.push(piece);
        this.remaining -= n;
        i += n;
        if (this.remaining === 0) { this.state = 'crlf'; this.line = []; this.lineLen = 0; }
        continue;
      }
      // Line-oriented states: collect up to \n.
      const nl = buf.indexOf(0x0a, i);
      const end = nl < 0 ? buf.length : nl + 1;
      this.line.push(buf.subarray(i, end));
      this.lineLen += end - i;
      i = end;
      if (this.lineLen > MAX_LINE) throw framingError('chunk header line too long');
      if (nl < 0) continue;
      const line = Buffer.concat(this.line).toString('latin1').replace(/\r?\n$/, '');
      this.line = []; this.lineLen = 0;
      this.onLine(line);
    }
    return out;
  }

  onLine(line) {
    switch (this.state) {
      case 'crlf':
        if (line !== '') throw framingError('chunk data not followed by CRLF');
        this.finishChunk();
        this.state = 'header';
        return;
      case 'header': {
        const m = /^([0-9a-fA-F]+)(?:;chunk-signature=([0-9a-f]{64}))?$/.exec(line.trim());
        if (!m) throw framingError(`bad chunk header '${line.slice(0, 80)}'`);
        const size = parseInt(m[1], 16);
        if (this.signed && !m[2]) throw new AwsError(403, 'SignatureDoesNotMatch', 'Chunk signature missing');
        if (this.signed && this.lastSize >= 0 && this.lastSize < MIN_SIGNED_CHUNK && size > 0) {
          throw new AwsError(400, 'InvalidChunkSizeError', 'Only the last chunk is allowed to have a size less than 8192 bytes');
        }
        this.lastSize = size;
        this.chunkSig = m[2] || null;
        this.chunkHash = this.signed ? crypto.createHash('sha256') : null;
        if (size === 0) {
          this.finishChunk();
          this.state = 'trailer';
        } else {
          this.remaining = size;
          this.state = 'data';
        }
        return;
      }
      case 'trailer': {
        if (line === '') { this.finishTrailers(); this.done = true; return; }
        const c = line.indexOf(':');
        if (c < 0) throw framingError('bad trailer line');
        const name = line.slice(0, c).trim().toLowerCase();
        const value = line.slice(c + 1).trim();
        if (name === 'x-amz-trailer-signature') this.trailerSignature = value;
        else { this.trailers[name] = value; this.trailerLines.push(`${name}:${value}`); }
        return;
      }
      default:
        throw framingError('unexpected state');
    }
  }

  finishChunk() {
    if (!this.signed) return;
    const dataHash = this.chunkHash.digest('hex');
    const sts = `AWS4-HMAC-SHA256-PAYLOAD\n${this.signed.amzDate}\n${this.signed.scope}\n${this.prevSig}\n${EMPTY_SHA256}\n${dataHash}`;
    const expected = crypto.createHmac('sha256', this.signed.signingKey).update(sts).digest('hex');
    if (expected !== this.chunkSig) {
      throw new AwsError(403, 'SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided. Check your key and signing method.', { StringToSign: sts, SignatureProvided: this.chunkSig });
    }
    this.prevSig = expected;
  }

  finishTrailers() {
    if (!this.signed || !this.signed.trailer) return;
    if (!this.trailerSignature) throw new AwsError(403, 'SignatureDoesNotMatch', 'Trailer signature missing');
    const canon = this.trailerLines.map((l) => l + '\n').join('');
    const sts = `AWS4-HMAC-SHA256-TRAILER\n${this.signed.amzDate}\n${this.signed.scope}\n${this.prevSig}\n${sha256Hex(canon)}`;
    const expected = crypto.createHmac('sha256', this.signed.signingKey).update(sts).digest('hex');
    if (expected !== this.trailerSignature) {
      throw new AwsError(403, 'SignatureDoesNotMatch', 'The trailer signature we calculated does not match the signature you provided.', { StringToSign: sts, SignatureProvided: this.trailerSignature });
    }
  }

  // Called at end of input; throws if the framing was cut short.
  end() {
    if (this.done) return this.trailers;
    // Tolerate a missing final blank line after the last trailer.
    if (this.state === 'trailer' && this.lineLen === 0) { this.finishTrailers(); this.done = true; return this.trailers; }
    throw new AwsError(400, 'IncompleteBody', 'The request body terminated unexpectedly');
  }
}

function framingError(detail) {
  return new AwsError(400, 'InvalidRequest', `Invalid aws-chunked body: ${detail}`);
}

module.exports = { AwsChunkedDecoder, MIN_SIGNED_CHUNK };
