'use strict';
// Where object bytes live. Large bodies stream into a file of their own;
// small ones are appended to a shared log file, because creating a file per
// small object costs far more than one positioned write on some disks
// (2,000 small PUTs must take well under 5 s). A segment is
// {path, offset, size, shared}; shared (log) segments are immutable, so
// copies may point at them and deletes leave them alone.

const fs = require('node:fs');
const path = require('node:path');
const { Readable } = require('node:stream');

const LOG_ROTATE_BYTES = 256 * 1024 * 1024;

class BlobStore {
  constructor(dir) {
    this.dir = dir;
    this.seq = 0;
    this.log = null; // {path, fd, size}
  }

  // Removes every stored body.
  wipe() {
    if (this.log) { try { fs.closeSync(this.log.fd); } catch { /* already closed */ } this.log = null; }
    if (!this.dir) return;
    for (const f of fs.readdirSync(this.dir)) fs.rmSync(path.join(this.dir, f), { force: true, recursive: true });
  }

  newFilePath() { return path.join(this.dir, `f${++this.seq}`); }

  fileSegment(file, size) { return { path: file, offset: 0, size, shared: false }; }

  appendBuffer(buf) {
    if (!this.log || this.log.size > LOG_ROTATE_BYTES) {
      if (this.log) fs.closeSync(this.log.fd);
      const p = path.join(this.dir, `log${++this.seq}`);
      this.log = { path: p, fd: fs.openSync(p, 'w'), size: 0 };
    }
    const seg = { path: this.log.path, offset: this.log.size, size: buf.length, shared: true };
    let done = 0;
    while (done < buf.length) done += fs.writeSync(this.log.fd, buf, done, buf.length - done, this.log.size + done);
    this.log.size += buf.length;
    return seg;
  }

  release(seg) {
    if (!seg.shared) fs.unlink(seg.path, () => {});
  }

  // A copy that survives the original's deletion.
  async clone(seg) {
    if (seg.shared) return { ...seg };
    const p = this.newFilePath();
    await fs.promises.link(seg.path, p);
    return { ...seg, path: p };
  }

  // Bytes [start, end] (inclusive, relative to the segment).
  readStream(seg, start = 0, end = seg.size - 1) {
    if (seg.size === 0 || end < start) return Readable.from([]);
    return fs.createReadStream(seg.path, { start: seg.offset + start, end: seg.offset + end });
  }

  async read(seg) {
    const chunks = [];
    for await (const c of this.readStream(seg)) chunks.push(c);
    return Buffer.concat(chunks);
  }

  // Bytes [start, end] of an object made of several segments.
  stream(segments, start, end) {
    if (segments.length === 1) return this.readStream(segments[0], start, end);
    const self = this;
    return Readable.from((async function* gen() {
      let off = 0;
      for (const seg of segments) {
        const segStart = off;
        const segEnd = off + seg.size - 1;
        off += seg.size;
        if (segEnd < start || segStart > end || seg.size === 0) continue;
        yield* self.readStream(seg, Math.max(0, start - segStart), Math.min(seg.size - 1, end - segStart));
      }
    })());
  }
}

module.exports = { BlobStore };
