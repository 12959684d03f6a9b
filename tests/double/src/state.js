'use strict';
// Everything the double remembers. One instance per process; reset() makes
// it fresh. Object bodies live on disk under dataDir (see blobs.js).

const { BlobStore } = require('./blobs');

const ACCOUNT = '123456789012';
const ROOT_KEY = 'AKIAAIRLOCKDOUBLE001';
const ROOT_SECRET = 'airlock/double/secret/key';
const ROOT_ARN = `arn:aws:iam::${ACCOUNT}:root`;
const BOOTSTRAP_QUALIFIER = 'hnb659fds';

const DEFAULT_SETTINGS = Object.freeze({
  invalidationMs: 2000, // CloudFront InProgress -> Completed
  cfnStepMs: 100,       // one CloudFormation resource step
  changeSetMs: 200,     // CREATE_PENDING -> CREATE_COMPLETE
});

class State {
  constructor(dataDir) {
    this.dataDir = dataDir;
    this.blobs = new BlobStore(dataDir);
    this.generation = 0;
    this.connectionsTotal = 0; // monotonic, also the next connection id
    this.reset();
  }

  reset() {
    this.generation++; // running CloudFormation workflows and timers check this and stop
    for (const t of this.timers || []) clearTimeout(t);
    this.timers = new Set();
    this.buckets = new Map();
    this.uploads = new Map();
    this.distributions = new Map();
    this.stacks = new Map();      // by name, live stacks only
    this.deletedStacks = new Map(); // by stack id
    this.exports = new Map();     // export name -> {value, stackId}
    this.alarms = new Map();
    this.ssm = new Map();
    this.roles = new Set();
    this.keys = new Map([[ROOT_KEY, { secret: ROOT_SECRET, principal: ROOT_ARN, userId: ACCOUNT, root: true }]]);
    this.slack = [];
    this.script = { failVersions: new Set(), stacks: new Map(), slack429: 0, slackRetryAfter: 1 };
    this.app = null;
    this.settings = { ...DEFAULT_SETTINGS };
    this.calls = [];
    this.seq = 0;
    this.connectionsBase = this.connectionsTotal;
    this.wipeFiles();
  }

  wipeFiles() { this.blobs.wipe(); }

  // setTimeout that dies with reset().
  later(ms, fn) {
    const gen = this.generation;
    const t = setTimeout(() => { this.timers.delete(t); if (gen === this.generation) fn(); }, ms);
    this.timers.add(t);
  }

  createBucket(name, extra = {}) {
    if (!this.buckets.has(name)) {
      this.buckets.set(name, { name, created: Date.now(), objects: new Map(), sorted: null, ...extra });
    }
    return this.buckets.get(name);
  }

  putObject(bucket, key, obj) {
    const old = bucket.objects.get(key);
    if (!old) bucket.sorted = null;
    bucket.objects.set(key, obj);
    if (old) this.releaseObject(old);
  }

  deleteObject(bucket, key) {
    const old = bucket.objects.get(key);
    if (!old) return false;
    bucket.objects.delete(key);
    bucket.sorted = null;
    this.releaseObject(old);
    return true;
  }

  addRole(name) { this.roles.add(name); }

  // Unlinking is safe even while a GET streams the file: the open fd keeps it.
  releaseObject(obj) {
    for (const seg of obj.segments || []) this.blobs.release(seg);
  }
}

module.exports = { State, ACCOUNT, ROOT_KEY, ROOT_SECRET, ROOT_ARN, BOOTSTRAP_QUALIFIER, DEFAULT_SETTINGS };
