'use strict';
// CloudFormation (Query, 2010-05-15): change sets, stacks, events. Resources
// are simulated: each one takes settings.cfnStepMs, emits the events real
// CloudFormation would, and some have side effects in the double (buckets,
// distributions, alarms, SSM parameters, assumable roles).

const crypto = require('node:crypto');
const { AwsError, NS } = require('./errors');
const { el, raw, escapeXml } = require('./xml');
const q = require('./query');
const { clock, isoDate, sleep, uuid } = require('./util');
const { ACCOUNT, BOOTSTRAP_QUALIFIER } = require('./state');
const tpl = require('./cfn-template');

const V = tpl.validationError;
const OPS = new Set(['CreateChangeSet', 'DescribeChangeSet', 'ExecuteChangeSet', 'DeleteChangeSet', 'ListChangeSets',
  'DescribeStacks', 'DescribeStackEvents', 'DeleteStack', 'UpdateTerminationProtection', 'GetTemplate',
  'CreateStack', 'UpdateStack', 'ListStackResources', 'DescribeStackResources', 'ListExports', 'GetTemplateSummary']);
const MAX_TEMPLATE_BODY = 51200;
const MAX_TEMPLATE_URL_SIZE = 1024 * 1024;
const NAME_RE = /^[a-zA-Z][-a-zA-Z0-9]*$/;
const EMPTY_REASON = "The submitted information didn't contain changes. Submit different information to create a change set.";

async function prepare(ctx) {
  await ctx.readBody();
  ctx.params = q.parseParams(ctx);
  const action = ctx.params.Action;
  ctx.setOperation(OPS.has(action) ? action : 'Unknown');
  if (!OPS.has(action)) ctx.routeError = new AwsError(400, 'InvalidAction', `Could not find operation ${action} for version ${ctx.params.Version || 'NO_VERSION_SPECIFIED'}`);
}

async function handle(ctx) {
  const p = ctx.params;
  switch (ctx.operation) {
    case 'CreateChangeSet': return createChangeSet(ctx, p);
    case 'DescribeChangeSet': return describeChangeSet(ctx, p);
    case 'ExecuteChangeSet': return executeChangeSet(ctx, p);
    case 'DeleteChangeSet': return deleteChangeSet(ctx, p);
    case 'ListChangeSets': return listChangeSets(ctx, p);
    case 'DescribeStacks': return describeStacks(ctx, p);
    case 'DescribeStackEvents': return describeStackEvents(ctx, p);
    case 'DeleteStack': return deleteStack(ctx, p);
    case 'UpdateTerminationProtection': return updateTerminationProtection(ctx, p);
    case 'GetTemplate': return getTemplate(ctx, p);
    case 'CreateStack': return directStack(ctx, p, 'CREATE');
    case 'UpdateStack': return directStack(ctx, p, 'UPDATE');
    case 'ListStackResources': return listStackResources(ctx, p);
    case 'DescribeStackResources': return describeStackResources(ctx, p);
    case 'ListExports': return listExports(ctx);
    case 'GetTemplateSummary': return getTemplateSummary(ctx, p);
    default: throw ctx.routeError;
  }
}

// ---------------------------------------------------------------- lookups

function findStack(state, nameOrId, { includeDeleted = false } = {}) {
  if (!nameOrId) return null;
  if (nameOrId.startsWith('arn:')) {
    for (const s of state.stacks.values()) if (s.id === nameOrId) return s;
    return includeDeleted ? state.deletedStacks.get(nameOrId) || null : null;
  }
  return state.stacks.get(nameOrId) || null;
}

function needStack(state, nameOrId, opts) {
  const s = findStack(state, nameOrId, opts);
  if (!s) throw V(`Stack with id ${nameOrId} does not exist`);
  return s;
}

function findChangeSet(state, name, stackName) {
  if (name && name.startsWith('arn:')) {
    for (const s of state.stacks.values()) for (const cs of s.changeSets.values()) if (cs.id === name) return { stack: s, cs };
    return null;
  }
  const s = findStack(state, stackName);
  if (!s) return null;
  const cs = s.changeSets.get(name);
  return cs ? { stack: s, cs } : null;
}

function needChangeSet(state, p) {
  const name = q.required(p, 'ChangeSetName');
  if (!name.startsWith('arn:') && !p.StackName) throw V('StackName must be specified if ChangeSetName is not specified as an ARN.');
  const f = findChangeSet(state, name, p.StackName);
  if (!f) throw new AwsError(404, 'ChangeSetNotFound', `ChangeSet [${name}] does not exist`);
  return f;
}

const UPDATABLE = new Set(['CREATE_COMPLETE', 'UPDATE_COMPLETE', 'UPDATE_ROLLBACK_COMPLETE', 'IMPORT_COMPLETE', 'IMPORT_ROLLBACK_COMPLETE']);

function notUpdatable(stack) {
  return V(`Stack:${stack.id} is in ${stack.status} state and can not be updated.`);
}

// ------------------------------------------------------------- templates

async function loadTemplate(ctx, p, stack) {
  const sources = ['TemplateBody', 'TemplateURL'].filter((k) => p[k] !== undefined).length + (p.UsePreviousTemplate === 'true' ? 1 : 0);
  if (sources === 0) throw V('Either Template URL or Template Body must be specified.');
  if (sources > 1) throw V('Specify exactly one of TemplateBody, TemplateURL or UsePreviousTemplate.');
  if (p.UsePreviousTemplate === 'true') {
    if (!stack || !stack.templateBody) throw V('UsePreviousTemplate is not valid for a stack that has no previous template.');
    return stack.templateBody;
  }
  if (p.TemplateBody !== undefined) {
    if (Buffer.byteLength(p.TemplateBody) > MAX_TEMPLATE_BODY) {
      throw V(`1 validation error detected: Value '${p.TemplateBody}' at 'templateBody' failed to satisfy constraint: Member must have length less than or equal to ${MAX_TEMPLATE_BODY}`);
    }
    return p.TemplateBody;
  }
  const url = p.TemplateURL;
  if (url.length > 5120) throw V("1 validation error detected: Value at 'templateURL' failed to satisfy constraint: Member must have length less than or equal to 5120");
  const loc = parseTemplateUrl(url);
  if (!loc) throw V('TemplateURL must be a supported URL.');
  const s3 = require('./s3');
  let found;
  try { found = await s3.readObject(ctx.state, loc.bucket, loc.key, MAX_TEMPLATE_URL_SIZE); } catch { throw V(`Template may not exceed ${MAX_TEMPLATE_URL_SIZE} bytes in size.`); }
  if (!found) {
    if (!ctx.state.buckets.has(loc.bucket)) throw V('S3 error: The specified bucket does not exist');
    throw V('S3 error: The specified key does not exist.');
  }
  return found.body.toString('utf8');
}

// https://s3.<region>.amazonaws.com/b/k, https://s3.amazonaws.com/b/k,
// https://b.s3[.<region>].amazonaws.com/k, and the double's own
// http://127.0.0.1:PORT/b/k (or localhost).
function parseTemplateUrl(url) {
  let u;
  try { u = new URL(url); } catch { return null; }
  const host = u.hostname;
  const path = u.pathname;
  const dec = (s) => { try { return decodeURIComponent(s); } catch { return null; } };
  const pathStyle = () => {
    const m = /^\/([^/]+)\/(.+)$/.exec(path);
    return m ? { bucket: dec(m[1]), key: dec(m[2]) } : null;
  };
  if (u.protocol === 'https:' && /^s3([.-][a-z0-9-]+)?\.amazonaws\.com(\.cn)?$/.test(host)) return pathStyle();
  const vh = /^(.+)\.s3([.-][a-z0-9-]+)?\.amazonaws\.com(\.cn)?$/.exec(host);
  if (u.protocol === 'https:' && vh) return path.length > 1 ? { bucket: vh[1], key: dec(path.slice(1)) } : null;
  if (u.protocol === 'http:' && (host === '127.0.0.1' || host === 'localhost')) return pathStyle();
  return null;
}

// ------------------------------------------------------------ change sets

function newStack(state, name, region) {
  const s = {
    name, id: `arn:aws:cloudformation:${region}:${ACCOUNT}:stack/${name}/${uuid()}`, region,
    status: 'REVIEW_IN_PROGRESS', statusReason: null, created: clock.now(), updated: null,
    template: null, templateBody: null, parameters: [], tags: [], outputs: [], resources: new Map(),
    terminationProtection: false, roleArn: null, notificationArns: [], capabilities: [], description: null,
    events: [], changeSets: new Map(), busy: false, disableRollback: false, lastChangeSetId: null,
  };
  state.stacks.set(name, s);
  return s;
}

function tagsFrom(p) { return q.structList(p, 'Tags').map((t) => ({ Key: t.Key, Value: t.Value ?? '' })); }

async function createChangeSet(ctx, p) {
  const { stack, cs } = await buildChangeSet(ctx, p);
  q.respond(ctx, 'CreateChangeSet', NS.cloudformation, el('Id', cs.id) + el('StackId', stack.id));
}

// Validates a change set request and records the change set. Returns {stack, cs}.
async function buildChangeSet(ctx, p, { direct = false } = {}) {
  const st = ctx.state;
  const stackName = q.required(p, 'StackName');
  const csName = q.required(p, 'ChangeSetName');
  if (!NAME_RE.test(stackName) && !stackName.startsWith('arn:')) throw V(`1 validation error detected: Value '${stackName}' at 'stackName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z][-a-zA-Z0-9]*|arn:[-a-zA-Z0-9:/._+]*`);
  if (stackName.length > 128) throw V(`1 validation error detected: Value '${stackName}' at 'stackName' failed to satisfy constraint: Member must have length less than or equal to 128`);
  if (!NAME_RE.test(csName) || csName.length > 128) throw V(`1 validation error detected: Value '${csName}' at 'changeSetName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z][-a-zA-Z0-9]*`);
  const type = p.ChangeSetType || 'UPDATE';
  if (!['CREATE', 'UPDATE', 'IMPORT'].includes(type)) throw V(`1 validation error detected: Value '${type}' at 'changeSetType' failed to satisfy constraint: Member must satisfy enum value set: [IMPORT, UPDATE, CREATE]`);
  if (type === 'IMPORT') throw V('The AWS double does not support IMPORT change sets');
  let stack = findStack(st, stackName);
  if (type === 'CREATE' && stack && stack.status !== 'REVIEW_IN_PROGRESS') {
    throw V(`Stack [${stackName}] already exists and cannot be created again with the changeSet [${csName}].`);
  }
  if (type === 'UPDATE') {
    if (!stack) throw V(`Stack [${stackName}] does not exist`);
    if (!UPDATABLE.has(stack.status) || stack.busy) throw notUpdatable(stack);
  }
  if (stack && stack.changeSets.has(csName)) {
    const existing = stack.changeSets.get(csName);
    if (p.ClientToken && existing.clientToken === p.ClientToken) return { stack, cs: existing };
    throw new AwsError(400, 'AlreadyExistsException', `ChangeSet [${csName}] already exists`);
  }
  const region = ctx.auth.region;
  const body = await loadTemplate(ctx, p, stack);
  const template = tpl.parseTemplate(body);
  const capabilities = q.list(p, 'Capabilities');
  const needed = tpl.iamCapability(template);
  if (needed === 'CAPABILITY_NAMED_IAM' && !capabilities.includes('CAPABILITY_NAMED_IAM')) {
    throw new AwsError(400, 'InsufficientCapabilitiesException', 'Requires capabilities : [CAPABILITY_NAMED_IAM]');
  }
  if (needed === 'CAPABILITY_IAM' && !capabilities.includes('CAPABILITY_IAM') && !capabilities.includes('CAPABILITY_NAMED_IAM')) {
    throw new AwsError(400, 'InsufficientCapabilitiesException', 'Requires capabilities : [CAPABILITY_IAM]');
  }
  if (template.Transform !== undefined) {
    if (!capabilities.includes('CAPABILITY_AUTO_EXPAND')) throw new AwsError(400, 'InsufficientCapabilitiesException', 'Requires capabilities : [CAPABILITY_AUTO_EXPAND]');
    throw V('Template format error: the AWS double does not run macros (Transform)');
  }
  const isUpdate = type === 'UPDATE';
  const parameters = tpl.resolveParameters(template, q.structList(p, 'Parameters'), isUpdate ? stack.parameters : [], st.ssm);
  const tags = p['Tags'] === '' ? [] : (p['Tags.member.1.Key'] !== undefined ? tagsFrom(p) : (isUpdate ? stack.tags : []));
  const notificationArns = q.list(p, 'NotificationARNs');
  const stackId = stack ? stack.id : null;
  const ev = new tpl.Evaluator({ template, parameters, stackName, stackId: stackId || `arn:aws:cloudformation:${region}:${ACCOUNT}:stack/${stackName}/pending`, region, notificationArns, exports: st.exports });
  ev.checkRules();
  const changes = tpl.computeChanges(isUpdate ? stack.resources : new Map(), ev);
  ev.outputs(); // evaluation errors (bad Fn::ImportValue, Select) surface now
  const empty = isUpdate && tpl.canon(template) === tpl.canon(stack.template)
    && tpl.canon(parameters.map(pv)) === tpl.canon(stack.parameters.map(pv))
    && tpl.canon(tags) === tpl.canon(stack.tags);
  if (!stack) stack = newStack(st, stackName, region);
  const now = clock.now();
  const cs = {
    name: csName, id: `arn:aws:cloudformation:${region}:${ACCOUNT}:changeSet/${csName}/${uuid()}`,
    stackName, stackId: stack.id, type, created: now, readyAt: now + st.settings.changeSetMs,
    empty, changes, template, templateBody: body, parameters, tags, capabilities,
    roleArn: p.RoleARN || null, notificationArns, clientToken: p.ClientToken || null,
    description: p.Description || null, executionStatus: null, onStackFailure: p.OnStackFailure || null,
  };
  if (type === 'CREATE' && stack.events.length === 0 && !direct) {
    stackEvent(stack, 'REVIEW_IN_PROGRESS', 'User Initiated', null);
  }
  stack.changeSets.set(csName, cs);
  return { stack, cs };
}

function pv(p) { return [p.ParameterKey, p.ParameterValue]; }

// Status is a function of time until the change set is executed.
function csView(cs) {
  const now = clock.now();
  if (cs.executionStatus) return { status: 'CREATE_COMPLETE', executionStatus: cs.executionStatus, reason: null };
  if (now < cs.readyAt - (cs.readyAt - cs.created) / 2) return { status: 'CREATE_PENDING', executionStatus: 'UNAVAILABLE', reason: null };
  if (now < cs.readyAt) return { status: 'CREATE_IN_PROGRESS', executionStatus: 'UNAVAILABLE', reason: null };
  if (cs.empty) return { status: 'FAILED', executionStatus: 'UNAVAILABLE', reason: EMPTY_REASON };
  return { status: 'CREATE_COMPLETE', executionStatus: 'AVAILABLE', reason: null };
}

function paramsXml(params) {
  return params.map((x) => `<member>${el('ParameterKey', x.ParameterKey)}${el('ParameterValue', x.NoEcho ? '****' : x.ParameterValue)}${x.ResolvedValue !== undefined ? el('ResolvedValue', x.NoEcho ? '****' : x.ResolvedValue) : ''}</member>`).join('');
}
function tagsXml(tags) { return tags.map((t) => `<member>${el('Key', t.Key)}${el('Value', t.Value)}</member>`).join(''); }
function listXml(items) { return items.map((i) => `<member>${escapeXml(i)}</member>`).join(''); }

function changeXml(c) {
  const scope = c.Action === 'Modify' ? '<Scope><member>Properties</member></Scope>' : '<Scope/>';
  return `<member><Type>Resource</Type><ResourceChange>${el('PolicyAction', undefined)}${el('Action', c.Action)}${el('LogicalResourceId', c.LogicalResourceId)}${el('PhysicalResourceId', c.PhysicalResourceId)}${el('ResourceType', c.ResourceType)}${el('Replacement', c.Replacement)}${scope}<Details/></ResourceChange></member>`;
}

function describeChangeSet(ctx, p) {
  const { stack, cs } = needChangeSet(ctx.state, p);
  const v = csView(cs);
  const changes = v.status === 'CREATE_COMPLETE' ? cs.changes : [];
  const xml = el('ChangeSetName', cs.name) + el('ChangeSetId', cs.id) + el('StackId', stack.id) + el('StackName', stack.name)
    + el('Description', cs.description)
    + raw('Parameters', paramsXml(cs.parameters)) + el('CreationTime', isoDate(cs.created))
    + el('ExecutionStatus', v.executionStatus) + el('Status', v.status) + el('StatusReason', v.reason)
    + raw('NotificationARNs', listXml(cs.notificationArns)) + '<RollbackConfiguration/>'
    + raw('Capabilities', listXml(cs.capabilities)) + raw('Tags', tagsXml(cs.tags))
    + raw('Changes', changes.map(changeXml).join('')) + el('IncludeNestedStacks', 'false')
    + (cs.onStackFailure ? el('OnStackFailure', cs.onStackFailure) : '');
  q.respond(ctx, 'DescribeChangeSet', NS.cloudformation, xml);
}

function listChangeSets(ctx, p) {
  const stack = needStack(ctx.state, q.required(p, 'StackName'));
  const items = [...stack.changeSets.values()].map((cs) => {
    const v = csView(cs);
    return `<member>${el('StackId', stack.id)}${el('StackName', stack.name)}${el('ChangeSetId', cs.id)}${el('ChangeSetName', cs.name)}${el('ExecutionStatus', v.executionStatus)}${el('Status', v.status)}${el('StatusReason', v.reason)}${el('CreationTime', isoDate(cs.created))}${el('Description', cs.description)}${el('IncludeNestedStacks', 'false')}</member>`;
  }).join('');
  q.respond(ctx, 'ListChangeSets', NS.cloudformation, raw('Summaries', items));
}

function deleteChangeSet(ctx, p) {
  // By name, deleting succeeds as long as the stack exists, even when the
  // change set does not (the CDK CLI relies on this before every deploy).
  const name = q.required(p, 'ChangeSetName');
  if (!name.startsWith('arn:') && p.StackName && !findChangeSet(ctx.state, name, p.StackName)) {
    if (!findStack(ctx.state, p.StackName)) throw V(`Stack [${p.StackName}] does not exist`);
    return q.respond(ctx, 'DeleteChangeSet', NS.cloudformation, '');
  }
  const { stack, cs } = needChangeSet(ctx.state, p);
  if (cs.executionStatus === 'EXECUTE_IN_PROGRESS') throw new AwsError(400, 'InvalidChangeSetStatus', `Cannot delete ChangeSet [${cs.id}] while it is executing`);
  stack.changeSets.delete(cs.name);
  q.respond(ctx, 'DeleteChangeSet', NS.cloudformation, '');
}

function executeChangeSet(ctx, p) {
  const { stack, cs } = needChangeSet(ctx.state, p);
  const v = csView(cs);
  if (v.executionStatus !== 'AVAILABLE') {
    throw new AwsError(400, 'InvalidChangeSetStatus', `ChangeSet [${cs.id}] cannot be executed in its current execution status of [${v.executionStatus}]`);
  }
  if (stack.busy || (cs.type === 'UPDATE' && !UPDATABLE.has(stack.status))) throw notUpdatable(stack);
  // Executing consumes the stack's other change sets.
  for (const name of [...stack.changeSets.keys()]) if (name !== cs.name) stack.changeSets.delete(name);
  cs.executionStatus = 'EXECUTE_IN_PROGRESS';
  const token = p.ClientRequestToken || `Console-ExecuteChangeSet-${uuid()}`;
  run(ctx.state, stack, cs, { token, disableRollback: p.DisableRollback === 'true' });
  q.respond(ctx, 'ExecuteChangeSet', NS.cloudformation, '');
}

// CreateStack / UpdateStack without a visible change set.
async function directStack(ctx, p, type) {
  const st = ctx.state;
  const stackName = q.required(p, 'StackName');
  const existing = findStack(st, stackName);
  if (type === 'CREATE' && existing && existing.status !== 'REVIEW_IN_PROGRESS') throw new AwsError(400, 'AlreadyExistsException', `Stack [${stackName}] already exists`);
  const csName = `direct-${crypto.randomBytes(6).toString('hex')}`;
  const { stack, cs: captured } = await buildChangeSet(ctx, { ...p, ChangeSetName: csName, ChangeSetType: type }, { direct: true });
  stack.changeSets.delete(csName);
  if (captured.empty) throw V('No updates are to be performed.');
  captured.readyAt = clock.now();
  captured.executionStatus = 'EXECUTE_IN_PROGRESS';
  for (const name of [...stack.changeSets.keys()]) stack.changeSets.delete(name);
  run(st, stack, captured, { token: p.ClientRequestToken || null, disableRollback: p.DisableRollback === 'true' });
  q.respond(ctx, type === 'CREATE' ? 'CreateStack' : 'UpdateStack', NS.cloudformation, el('StackId', stack.id));
}

// ------------------------------------------------------------ workflows

function stackEvent(stack, status, reason, token) {
  return event(stack, { LogicalResourceId: stack.name, PhysicalResourceId: stack.id, ResourceType: 'AWS::CloudFormation::Stack', ResourceStatus: status, ResourceStatusReason: reason, ClientRequestToken: token });
}

function event(stack, e) {
  stack.events.push({ EventId: uuid(), StackId: stack.id, StackName: stack.name, Timestamp: clock.now(), ...e });
}

function resEvent(stack, id, type, phys, status, reason, token) {
  event(stack, { LogicalResourceId: id, PhysicalResourceId: phys || '', ResourceType: type, ResourceStatus: status, ResourceStatusReason: reason, ClientRequestToken: token });
}

function setStatus(stack, status, reason, token) {
  stack.status = status;
  stack.statusReason = reason || null;
  stackEvent(stack, status, reason || null, token);
}

// Side effects of resources on the rest of the double.
function materialize(state, type, phys, props, region) {
  switch (type) {
    case 'AWS::S3::Bucket':
      if (state.buckets.has(phys)) return `${phys} already exists`;
      state.createBucket(phys, { region, stackOwned: true });
      return null;
    case 'AWS::CloudFront::Distribution': {
      const origins = (((props || {}).DistributionConfig || {}).Origins) || [];
      const m = origins.length ? /^([^.]+(?:\.[^.]+)*?)\.s3[.-]/.exec(String(origins[0].DomainName || '')) : null;
      require('./cloudfront').createDistribution(state, phys, m ? m[1] : null, tpl.distributionDomain(phys));
      return null;
    }
    case 'AWS::CloudWatch::Alarm':
    case 'AWS::CloudWatch::CompositeAlarm': {
      const cw = require('./cloudwatch');
      const a = state.alarms.get(phys) || cw.newAlarm(state, phys, type.endsWith('CompositeAlarm') ? 'composite' : 'metric', region);
      a.config = { ...(props || {}) };
      return null;
    }
    case 'AWS::SSM::Parameter':
      require('./ssm').putParameter(state, phys, String((props || {}).Value ?? ''), region, (props || {}).Type || 'String');
      return null;
    case 'AWS::IAM::Role':
      state.addRole(phys);
      return null;
    default: return null;
  }
}

// Returns an error reason when the resource cannot be deleted.
function dematerialize(state, type, phys) {
  switch (type) {
    case 'AWS::S3::Bucket': {
      const b = state.buckets.get(phys);
      if (!b) return null;
      if (b.objects.size) return `The bucket you tried to delete is not empty (Service: S3, Status Code: 409)`;
      state.buckets.delete(phys);
      return null;
    }
    case 'AWS::CloudFront::Distribution': state.distributions.delete(phys); return null;
    case 'AWS::CloudWatch::Alarm':
    case 'AWS::CloudWatch::CompositeAlarm': state.alarms.delete(phys); return null;
    case 'AWS::SSM::Parameter': state.ssm.delete(phys); return null;
    case 'AWS::IAM::Role': state.roles.delete(phys); return null;
    default: return null;
  }
}

// Runs a change set in the background. Each awaited step re-checks that
// no reset happened meanwhile.
function run(state, stack, cs, opts) {
  stack.busy = true;
  const gen = state.generation;
  const step = async () => {
    // With cfnStepMs 0 the whole operation finishes before the next request
    // is read (aws-cli's waiters poll once at once, then only after 30 s).
    if (state.settings.cfnStepMs > 0) await sleep(state.settings.cfnStepMs);
    if (gen !== state.generation) throw new Error('reset');
  };
  execute(state, stack, cs, opts, step).catch((e) => {
    if (e.message !== 'reset') console.error('double: cloudformation workflow failed:', e);
  }).finally(() => { stack.busy = false; });
}

async function execute(state, stack, cs, { token, disableRollback }, step) {
  const isCreate = cs.type === 'CREATE';
  const verb = isCreate ? 'CREATE' : 'UPDATE';
  const region = stack.region;
  const failure = state.script.stacks.get(stack.name) || null;
  if (failure) state.script.stacks.delete(stack.name);
  stack.roleArn = cs.roleArn || stack.roleArn;
  stack.notificationArns = cs.notificationArns.length ? cs.notificationArns : stack.notificationArns;
  stack.lastChangeSetId = cs.id;
  setStatus(stack, `${verb}_IN_PROGRESS`, 'User Initiated', token);
  if (!isCreate) stack.updated = clock.now();

  const ev = new tpl.Evaluator({ template: cs.template, parameters: cs.parameters, stackName: stack.name, stackId: stack.id, region, notificationArns: cs.notificationArns, exports: state.exports });
  const order = ev.activeResources();
  const changeById = new Map(cs.changes.map((c) => [c.LogicalResourceId, c]));
  // Work list: adds and modifies in dependency order; the scripted
  // failure's resource counts as modified even if it did not change.
  const work = order.filter((id) => {
    const c = changeById.get(id);
    return (c && c.Action !== 'Remove') || (failure && failure.failResource === id);
  });
  const done = [];
  let failedAt = null;
  for (const id of work) {
    await step();
    const type = cs.template.Resources[id].Type;
    const c = changeById.get(id) || { Action: 'Modify' };
    const phys = ev.physicalId(id);
    const rverb = c.Action === 'Add' ? 'CREATE' : 'UPDATE';
    resEvent(stack, id, type, c.Action === 'Add' ? '' : phys, `${rverb}_IN_PROGRESS`, c.Action === 'Add' ? null : undefined, token);
    let reason = failure && failure.failResource === id ? failure.reason : null;
    if (!reason && c.Action === 'Add') reason = materialize(state, type, phys, c.props, region);
    else if (!reason && c.Action === 'Modify' && c.Replacement === 'True') reason = materialize(state, type, phys, c.props, region);
    if (reason) {
      resEvent(stack, id, type, c.Action === 'Add' ? '' : phys, `${rverb}_FAILED`, reason, token);
      failedAt = { id, type, reason };
      break;
    }
    if (c.Action === 'Modify' && !['AWS::S3::Bucket', 'AWS::IAM::Role'].includes(type)) materialize(state, type, phys, c.props, region);
    if (c.Action === 'Add') resEvent(stack, id, type, phys, 'CREATE_IN_PROGRESS', 'Resource creation Initiated', token);
    resEvent(stack, id, type, phys, `${rverb}_COMPLETE`, null, token);
    done.push({ id, type, phys, action: c.Action });
  }
  if (!failedAt && failure && !work.includes(failure.failResource)) {
    // The scripted resource is not in the template: fail at the end.
    await step();
    resEvent(stack, failure.failResource, 'AWS::CloudFormation::CustomResource', '', `${verb}_FAILED`, failure.reason, token);
    failedAt = { id: failure.failResource, reason: failure.reason };
  }

  if (failedAt) {
    cs.executionStatus = 'EXECUTE_FAILED';
    const listMsg = `The following resource(s) failed to ${isCreate ? 'create' : 'update'}: [${failedAt.id}]. `;
    if (disableRollback) {
      setStatus(stack, `${verb}_FAILED`, listMsg, token);
      if (isCreate) commit(state, stack, cs, ev, done);
      return;
    }
    await step();
    setStatus(stack, isCreate ? 'ROLLBACK_IN_PROGRESS' : 'UPDATE_ROLLBACK_IN_PROGRESS', isCreate ? `${listMsg}Rollback requested by user.` : listMsg, token);
    for (const d of done.slice().reverse()) {
      await step();
      if (d.action === 'Add') {
        resEvent(stack, d.id, d.type, d.phys, 'DELETE_IN_PROGRESS', null, token);
        dematerialize(state, d.type, d.phys);
        resEvent(stack, d.id, d.type, d.phys, 'DELETE_COMPLETE', null, token);
      } else {
        resEvent(stack, d.id, d.type, d.phys, 'UPDATE_IN_PROGRESS', null, token);
        const old = stack.resources.get(d.id);
        if (old) materialize(state, old.type, old.physicalId, old.props, region);
        resEvent(stack, d.id, d.type, d.phys, 'UPDATE_COMPLETE', null, token);
      }
    }
    await step();
    if (isCreate) {
      stack.template = cs.template; stack.templateBody = cs.templateBody; stack.parameters = cs.parameters; stack.tags = cs.tags;
      stack.description = cs.template.Description || null; stack.capabilities = cs.capabilities;
      setStatus(stack, 'ROLLBACK_COMPLETE', null, token);
      stack.statusReason = `${listMsg}Rollback requested by user.`;
    } else {
      setStatus(stack, 'UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS', null, token);
      await step();
      setStatus(stack, 'UPDATE_ROLLBACK_COMPLETE', null, token);
      stack.statusReason = listMsg;
    }
    return;
  }

  if (!isCreate) {
    await step();
    setStatus(stack, 'UPDATE_COMPLETE_CLEANUP_IN_PROGRESS', null, token);
    for (const c of cs.changes.filter((x) => x.Action === 'Remove').reverse()) {
      await step();
      const old = stack.resources.get(c.LogicalResourceId);
      const policy = old && old.meta && old.meta.DeletionPolicy;
      if (policy === 'Retain' || policy === 'RetainExceptOnCreate') {
        resEvent(stack, c.LogicalResourceId, c.ResourceType, c.PhysicalResourceId, 'DELETE_SKIPPED', null, token);
        continue;
      }
      resEvent(stack, c.LogicalResourceId, c.ResourceType, c.PhysicalResourceId, 'DELETE_IN_PROGRESS', null, token);
      const err = dematerialize(state, c.ResourceType, c.PhysicalResourceId);
      // A failed delete during cleanup does not fail the update.
      resEvent(stack, c.LogicalResourceId, c.ResourceType, c.PhysicalResourceId, err ? 'DELETE_FAILED' : 'DELETE_COMPLETE', err, token);
    }
  }
  await step();
  commit(state, stack, cs, ev, null);
  cs.executionStatus = 'EXECUTE_COMPLETE';
  // An executed change set disappears from the stack, as in AWS.
  if (stack.changeSets.get(cs.name) === cs) stack.changeSets.delete(cs.name);
  setStatus(stack, `${verb}_COMPLETE`, null, token);
}

// Makes the change set's template the stack's current one.
function commit(state, stack, cs, ev, onlyDone) {
  stack.template = cs.template;
  stack.templateBody = cs.templateBody;
  stack.parameters = cs.parameters;
  stack.tags = cs.tags;
  stack.capabilities = cs.capabilities;
  stack.description = cs.template.Description || null;
  const resources = new Map();
  const doneIds = onlyDone ? new Set(onlyDone.map((d) => d.id)) : null;
  for (const id of ev.activeResources()) {
    if (doneIds && !doneIds.has(id)) continue;
    const r = cs.template.Resources[id];
    resources.set(id, { type: r.Type, props: ev.resourceProps(id), physicalId: ev.physicalId(id), meta: tpl.metaOf(r), updated: clock.now() });
  }
  stack.resources = resources;
  stack.outputs = onlyDone ? [] : ev.outputs();
  for (const [name, e] of [...state.exports]) if (e.stackId === stack.id) state.exports.delete(name);
  for (const o of stack.outputs) if (o.ExportName) state.exports.set(o.ExportName, { value: o.OutputValue, stackId: stack.id });
}

// ------------------------------------------------------------ stacks

function stackXml(s) {
  const outputs = s.outputs.map((o) => `<member>${el('OutputKey', o.OutputKey)}${el('OutputValue', o.OutputValue)}${el('Description', o.Description)}${el('ExportName', o.ExportName)}</member>`).join('');
  return `<member>${el('StackId', s.id)}${el('StackName', s.name)}${el('ChangeSetId', s.lastChangeSetId)}${el('Description', s.description)}`
    + raw('Parameters', paramsXml(s.parameters)) + el('CreationTime', isoDate(s.created))
    + (s.deletedAt ? el('DeletionTime', isoDate(s.deletedAt)) : '')
    + (s.updated ? el('LastUpdatedTime', isoDate(s.updated)) : '')
    + '<RollbackConfiguration/>' + el('StackStatus', s.status) + el('StackStatusReason', s.statusReason)
    + el('DisableRollback', 'false') + raw('NotificationARNs', listXml(s.notificationArns))
    + raw('Capabilities', listXml(s.capabilities)) + raw('Outputs', outputs) + el('RoleARN', s.roleArn)
    + raw('Tags', tagsXml(s.tags)) + el('EnableTerminationProtection', s.terminationProtection ? 'true' : 'false')
    + '<DriftInformation><StackDriftStatus>NOT_CHECKED</StackDriftStatus></DriftInformation></member>';
}

function describeStacks(ctx, p) {
  let stacks;
  if (p.StackName) stacks = [needStack(ctx.state, p.StackName, { includeDeleted: true })];
  else stacks = [...ctx.state.stacks.values()];
  q.respond(ctx, 'DescribeStacks', NS.cloudformation, raw('Stacks', stacks.map(stackXml).join('')));
}

function describeStackEvents(ctx, p) {
  const stack = needStack(ctx.state, q.required(p, 'StackName'), { includeDeleted: true });
  const all = stack.events.slice().reverse();
  const start = p.NextToken ? Number(Buffer.from(p.NextToken, 'base64').toString('utf8')) || 0 : 0;
  const page = all.slice(start, start + 100);
  const next = start + page.length < all.length ? Buffer.from(String(start + page.length)).toString('base64') : null;
  const items = page.map((e) => `<member>${el('StackId', e.StackId)}${el('EventId', e.EventId)}${el('StackName', e.StackName)}${el('LogicalResourceId', e.LogicalResourceId)}${el('PhysicalResourceId', e.PhysicalResourceId)}${el('ResourceType', e.ResourceType)}${el('Timestamp', isoDate(e.Timestamp))}${el('ResourceStatus', e.ResourceStatus)}${el('ResourceStatusReason', e.ResourceStatusReason)}${el('ClientRequestToken', e.ClientRequestToken)}</member>`).join('');
  q.respond(ctx, 'DescribeStackEvents', NS.cloudformation, raw('StackEvents', items) + el('NextToken', next));
}

function deleteStack(ctx, p) {
  const st = ctx.state;
  const stack = findStack(st, q.required(p, 'StackName'));
  // Deleting a stack that does not exist succeeds, as in AWS.
  if (!stack || stack.status === 'DELETE_IN_PROGRESS') return q.respond(ctx, 'DeleteStack', NS.cloudformation, '');
  if (stack.terminationProtection) throw V(`Stack [${stack.name}] cannot be deleted while TerminationProtection is enabled`);
  if (stack.busy) throw V(`Stack [${stack.name}] is in ${stack.status} state and can not be deleted.`);
  const token = p.ClientRequestToken || null;
  if (stack.status === 'REVIEW_IN_PROGRESS') {
    finishDelete(st, stack, token);
    return q.respond(ctx, 'DeleteStack', NS.cloudformation, '');
  }
  stack.busy = true;
  const gen = st.generation;
  (async () => {
    const step = async () => { if (st.settings.cfnStepMs > 0) await sleep(st.settings.cfnStepMs); if (gen !== st.generation) throw new Error('reset'); };
    setStatus(stack, 'DELETE_IN_PROGRESS', 'User Initiated', token);
    stack.changeSets.clear();
    let failed = null;
    for (const [id, r] of [...stack.resources].reverse()) {
      await step();
      const policy = r.meta && r.meta.DeletionPolicy;
      if (policy === 'Retain' || policy === 'RetainExceptOnCreate') {
        resEvent(stack, id, r.type, r.physicalId, 'DELETE_SKIPPED', null, token);
        continue;
      }
      resEvent(stack, id, r.type, r.physicalId, 'DELETE_IN_PROGRESS', null, token);
      const err = dematerialize(st, r.type, r.physicalId);
      if (err) { resEvent(stack, id, r.type, r.physicalId, 'DELETE_FAILED', err, token); failed = failed || id; continue; }
      resEvent(stack, id, r.type, r.physicalId, 'DELETE_COMPLETE', null, token);
      stack.resources.delete(id);
    }
    await step();
    if (failed) {
      setStatus(stack, 'DELETE_FAILED', `The following resource(s) failed to delete: [${failed}]. `, token);
      return;
    }
    finishDelete(st, stack, token);
  })().catch((e) => { if (e.message !== 'reset') console.error('double: delete failed:', e); }).finally(() => { stack.busy = false; });
  q.respond(ctx, 'DeleteStack', NS.cloudformation, '');
}

function finishDelete(st, stack, token) {
  setStatus(stack, 'DELETE_COMPLETE', null, token);
  stack.deletedAt = clock.now();
  for (const [name, e] of [...st.exports]) if (e.stackId === stack.id) st.exports.delete(name);
  st.stacks.delete(stack.name);
  st.deletedStacks.set(stack.id, stack);
}

function updateTerminationProtection(ctx, p) {
  const stack = needStack(ctx.state, q.required(p, 'StackName'));
  const v = q.required(p, 'EnableTerminationProtection');
  stack.terminationProtection = v === 'true';
  q.respond(ctx, 'UpdateTerminationProtection', NS.cloudformation, el('StackId', stack.id));
}

function getTemplate(ctx, p) {
  let body;
  if (p.ChangeSetName) body = needChangeSet(ctx.state, p).cs.templateBody;
  else body = needStack(ctx.state, q.required(p, 'StackName'), { includeDeleted: true }).templateBody;
  // A REVIEW_IN_PROGRESS stack has no template yet: no TemplateBody (the CDK
  // CLI reads that as an empty template).
  q.respond(ctx, 'GetTemplate', NS.cloudformation, el('TemplateBody', body === null ? undefined : body) + '<StagesAvailable><member>Original</member><member>Processed</member></StagesAvailable>');
}

// What aws-cli's deploy reads to know a template's parameters.
async function getTemplateSummary(ctx, p) {
  let body;
  if (p.TemplateBody !== undefined || p.TemplateURL !== undefined) body = await loadTemplate(ctx, p, null);
  else body = needStack(ctx.state, q.required(p, 'StackName')).templateBody;
  const t = tpl.parseTemplate(body);
  const params = Object.entries(t.Parameters || {}).map(([k, v]) => '<member>' + el('ParameterKey', k) + el('DefaultValue', v.Default === undefined ? undefined : String(v.Default))
    + el('ParameterType', v.Type) + el('NoEcho', String(v.NoEcho) === 'true' ? 'true' : 'false') + el('Description', v.Description)
    + '<ParameterConstraints>' + (v.AllowedValues ? raw('AllowedValues', listXml(v.AllowedValues.map(String))) : '') + '</ParameterConstraints></member>').join('');
  const cap = tpl.iamCapability(t);
  const types = [...new Set(Object.values(t.Resources).map((r) => r.Type))];
  q.respond(ctx, 'GetTemplateSummary', NS.cloudformation, raw('Parameters', params) + el('Description', t.Description)
    + raw('Capabilities', cap ? listXml([cap]) : '') + (cap ? el('CapabilitiesReason', 'The following resource(s) require capabilities: [' + Object.values(t.Resources).filter((r) => r.Type in tpl.IAM_TYPES).map((r) => r.Type).join(', ') + ']') : '')
    + raw('ResourceTypes', listXml(types)) + el('Version', t.AWSTemplateFormatVersion || '2010-09-09') + raw('DeclaredTransforms', ''));
}

function resourcesOf(stack) {
  return [...stack.resources].map(([id, r]) => ({ id, ...r, status: stack.status.startsWith('UPDATE') ? 'UPDATE_COMPLETE' : 'CREATE_COMPLETE' }));
}

function listStackResources(ctx, p) {
  const stack = needStack(ctx.state, q.required(p, 'StackName'));
  const items = resourcesOf(stack).map((r) => `<member>${el('LogicalResourceId', r.id)}${el('PhysicalResourceId', r.physicalId)}${el('ResourceType', r.type)}${el('LastUpdatedTimestamp', isoDate(r.updated))}${el('ResourceStatus', r.status)}<DriftInformation><StackResourceDriftStatus>NOT_CHECKED</StackResourceDriftStatus></DriftInformation></member>`).join('');
  q.respond(ctx, 'ListStackResources', NS.cloudformation, raw('StackResourceSummaries', items));
}

function describeStackResources(ctx, p) {
  const stack = needStack(ctx.state, q.required(p, 'StackName'));
  const items = resourcesOf(stack).filter((r) => !p.LogicalResourceId || r.id === p.LogicalResourceId).map((r) => `<member>${el('StackName', stack.name)}${el('StackId', stack.id)}${el('LogicalResourceId', r.id)}${el('PhysicalResourceId', r.physicalId)}${el('ResourceType', r.type)}${el('Timestamp', isoDate(r.updated))}${el('ResourceStatus', r.status)}</member>`).join('');
  q.respond(ctx, 'DescribeStackResources', NS.cloudformation, raw('StackResources', items));
}

function listExports(ctx) {
  const items = [...ctx.state.exports].map(([name, e]) => `<member>${el('ExportingStackId', e.stackId)}${el('Name', name)}${el('Value', e.value)}</member>`).join('');
  q.respond(ctx, 'ListExports', NS.cloudformation, raw('Exports', items));
}

// ------------------------------------------------------------ state / seed

function stackJson(s) {
  let template = null;
  try { template = s.templateBody ? JSON.parse(s.templateBody) : null; } catch { template = null; }
  return {
    stackId: s.id, status: s.status, statusReason: s.statusReason, template, templateBody: s.templateBody,
    parameters: s.parameters.map((x) => ({ ParameterKey: x.ParameterKey, ParameterValue: x.ParameterValue, ...(x.ResolvedValue !== undefined ? { ResolvedValue: x.ResolvedValue } : {}) })),
    tags: s.tags, outputs: s.outputs, terminationProtection: s.terminationProtection, roleArn: s.roleArn,
    notificationArns: s.notificationArns, capabilities: s.capabilities,
    resources: Object.fromEntries([...s.resources].map(([id, r]) => [id, { type: r.type, physicalId: r.physicalId }])),
    events: s.events.slice().reverse().map((e) => ({ ...e, Timestamp: isoDate(e.Timestamp) })),
    changeSets: [...s.changeSets.values()].map((cs) => {
      const v = csView(cs);
      return { name: cs.name, id: cs.id, type: cs.type, status: v.status, executionStatus: v.executionStatus, statusReason: v.reason, changes: cs.changes.map(({ props, ...c }) => c) };
    }),
  };
}

// A stack that already exists in CREATE_COMPLETE (seed {"stacks": [...]}).
async function seedStack(st, spec) {
  if (!spec || !spec.name || !spec.template) throw new Error('stacks[] need name and template');
  const region = spec.region || 'ap-northeast-1';
  const body = typeof spec.template === 'string' ? spec.template : JSON.stringify(spec.template);
  const template = tpl.parseTemplate(body);
  const given = Object.entries(spec.parameters || {}).map(([k, v]) => ({ ParameterKey: k, ParameterValue: String(v) }));
  const parameters = tpl.resolveParameters(template, given, [], st.ssm);
  if (st.stacks.has(spec.name)) throw new Error(`stack ${spec.name} already exists`);
  const stack = newStack(st, spec.name, region);
  const tags = Object.entries(spec.tags || {}).map(([Key, Value]) => ({ Key, Value: String(Value) }));
  const ev = new tpl.Evaluator({ template, parameters, stackName: stack.name, stackId: stack.id, region, exports: st.exports });
  const cs = { template, templateBody: body, parameters, tags, capabilities: [], changes: [] };
  for (const id of ev.activeResources()) materialize(st, template.Resources[id].Type, ev.physicalId(id), ev.resourceProps(id), region);
  commit(st, stack, cs, ev, null);
  if (spec.outputs) stack.outputs = Object.entries(spec.outputs).map(([OutputKey, v]) => ({ OutputKey, OutputValue: String(v) }));
  stack.terminationProtection = !!spec.terminationProtection;
  stackEvent(stack, 'CREATE_IN_PROGRESS', 'User Initiated', null);
  setStatus(stack, 'CREATE_COMPLETE', null, null);
  return stack;
}

// What `cdk bootstrap` leaves behind: the CDKToolkit stack.
function seedToolkitStack(st, account, region, version) {
  if (st.stacks.has('CDKToolkit')) return;
  const bucket = `cdk-${BOOTSTRAP_QUALIFIER}-assets-${account}-${region}`;
  const template = {
    Description: 'This stack includes resources needed to deploy AWS CDK apps into this environment',
    Resources: { StagingBucket: { Type: 'AWS::S3::Bucket', Properties: { BucketName: bucket }, DeletionPolicy: 'Retain' } },
    Outputs: {
      BucketName: { Value: { Ref: 'StagingBucket' } },
      BucketDomainName: { Value: { 'Fn::GetAtt': ['StagingBucket', 'RegionalDomainName'] } },
      ImageRepositoryName: { Value: `cdk-${BOOTSTRAP_QUALIFIER}-container-assets-${account}-${region}` },
      BootstrapVersion: { Value: String(version) },
    },
  };
  const stack = newStack(st, 'CDKToolkit', region);
  const body = JSON.stringify(template);
  const ev = new tpl.Evaluator({ template, parameters: [], stackName: 'CDKToolkit', stackId: stack.id, region });
  commit(st, stack, { template, templateBody: body, parameters: [], tags: [], capabilities: ['CAPABILITY_NAMED_IAM'], changes: [] }, ev, null);
  stackEvent(stack, 'CREATE_IN_PROGRESS', 'User Initiated', null);
  setStatus(stack, 'CREATE_COMPLETE', null, null);
}

module.exports = { protocol: 'query', authKind: () => 'query', prepare, handle, stackJson, seedStack, seedToolkitStack, parseTemplateUrl };
