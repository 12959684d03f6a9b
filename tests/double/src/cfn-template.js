'use strict';
// CloudFormation templates: validation, parameters, conditions, intrinsic
// functions, simulated physical ids and attributes, and resource diffs.
// JSON templates only (what CDK synthesizes and what airlock sends).

const crypto = require('node:crypto');
const { AwsError } = require('./errors');
const { ACCOUNT } = require('./state');

const TOP_LEVEL = new Set(['AWSTemplateFormatVersion', 'Description', 'Metadata', 'Parameters', 'Rules', 'Mappings', 'Conditions', 'Transform', 'Resources', 'Outputs', 'Hooks']);
const PSEUDO = new Set(['AWS::AccountId', 'AWS::Region', 'AWS::StackName', 'AWS::StackId', 'AWS::Partition', 'AWS::URLSuffix', 'AWS::NoValue', 'AWS::NotificationARNs']);
const NOVALUE = Symbol('NoValue');

function validationError(msg) { return new AwsError(400, 'ValidationError', msg); }

function parseTemplate(body) {
  let t;
  try { t = JSON.parse(body); } catch (e) {
    const trimmed = String(body).trim();
    if (!trimmed.startsWith('{')) throw validationError('Template format error: the AWS double accepts JSON templates only (YAML is not supported)');
    throw validationError(`Template format error: JSON not well-formed. (${e.message})`);
  }
  if (typeof t !== 'object' || t === null || Array.isArray(t)) throw validationError('Template format error: JSON not well-formed.');
  validate(t);
  return t;
}

function validate(t) {
  const bad = Object.keys(t).filter((k) => !TOP_LEVEL.has(k));
  if (bad.length) throw validationError(`Template format error: Invalid template property or properties [${bad.join(', ')}]`);
  if (t.AWSTemplateFormatVersion !== undefined && t.AWSTemplateFormatVersion !== '2010-09-09') {
    throw validationError(`Template format error: Unsupported AWSTemplateFormatVersion: ${t.AWSTemplateFormatVersion}`);
  }
  const res = t.Resources;
  if (!res || typeof res !== 'object' || Array.isArray(res) || Object.keys(res).length === 0) {
    throw validationError('Template format error: At least one Resources member must be defined.');
  }
  for (const [id, r] of Object.entries(res)) {
    if (!/^[A-Za-z0-9]+$/.test(id)) throw validationError(`Template format error: Resource name ${id} is non alphanumeric.`);
    if (!r || typeof r !== 'object' || typeof r.Type !== 'string') throw validationError(`Template format error: [/Resources/${id}] Every Resources object must contain a Type member.`);
  }
  const params = t.Parameters || {};
  for (const [id, p] of Object.entries(params)) {
    if (!p || typeof p.Type !== 'string') throw validationError(`Template format error: Every Parameters object must contain a Type member.`);
    if (res[id]) throw validationError(`Template format error: Parameter ${id} has the same name as a resource.`);
  }
  // Every Ref / GetAtt / Sub variable must name something that exists.
  const known = new Set([...Object.keys(params), ...Object.keys(res), ...PSEUDO]);
  const unresolved = new Set();
  const walk = (n) => {
    if (Array.isArray(n)) { n.forEach(walk); return; }
    if (!n || typeof n !== 'object') return;
    for (const [k, v] of Object.entries(n)) {
      if (k === 'Ref' && typeof v === 'string' && !known.has(v)) unresolved.add(v);
      else if (k === 'Fn::GetAtt') {
        const target = Array.isArray(v) ? v[0] : typeof v === 'string' ? v.split('.')[0] : null;
        if (typeof target === 'string' && !res[target]) unresolved.add(target);
      } else if (k === 'Fn::Sub') {
        const [str, vars] = Array.isArray(v) ? v : [v, {}];
        if (typeof str === 'string') {
          for (const m of str.matchAll(/\$\{([^!}][^}]*)\}/g)) {
            const name = m[1].trim().split('.')[0];
            if (!known.has(m[1].trim()) && !known.has(name) && !(vars && name in vars)) unresolved.add(name);
          }
        }
        if (vars) walk(vars);
        continue;
      }
      walk(v);
    }
  };
  walk(res);
  if (unresolved.size) throw validationError(`Template format error: Unresolved resource dependencies [${[...unresolved].join(', ')}] in the Resources block of the template`);
  walk(t.Outputs || {});
  if (unresolved.size) throw validationError(`Template error: instance of Fn::GetAtt references undefined resource ${[...unresolved][0]}`);
}

const IAM_TYPES = {
  'AWS::IAM::Role': 'RoleName', 'AWS::IAM::ManagedPolicy': 'ManagedPolicyName', 'AWS::IAM::User': 'UserName',
  'AWS::IAM::Group': 'GroupName', 'AWS::IAM::InstanceProfile': 'InstanceProfileName', 'AWS::IAM::Policy': null,
  'AWS::IAM::AccessKey': null, 'AWS::IAM::UserToGroupAddition': null, 'AWS::IAM::RolePolicy': null,
  'AWS::IAM::UserPolicy': null, 'AWS::IAM::GroupPolicy': null,
};

// The capability this template needs: null, CAPABILITY_IAM or CAPABILITY_NAMED_IAM.
function iamCapability(t) {
  let need = null;
  for (const r of Object.values(t.Resources)) {
    if (!(r.Type in IAM_TYPES)) continue;
    const nameProp = IAM_TYPES[r.Type];
    if (nameProp && r.Properties && r.Properties[nameProp] !== undefined) return 'CAPABILITY_NAMED_IAM';
    need = 'CAPABILITY_IAM';
  }
  return need;
}

// Resolves the parameters of a change set. given: [{ParameterKey,
// ParameterValue, UsePreviousValue}], previous: [{ParameterKey, ParameterValue}].
// Returns [{ParameterKey, ParameterValue, ResolvedValue?}].
function resolveParameters(t, given, previous, ssm) {
  const decl = t.Parameters || {};
  const byKey = new Map();
  for (const g of given) {
    if (!(g.ParameterKey in decl)) throw validationError(`Parameters: [${g.ParameterKey}] do not exist in the template`);
    if (String(g.UsePreviousValue) === 'true') {
      const prev = (previous || []).find((p) => p.ParameterKey === g.ParameterKey);
      if (!prev) throw validationError(`Invalid input for parameter key ${g.ParameterKey}. Cannot specify usePreviousValue as true for a parameter key not in the previous template`);
      byKey.set(g.ParameterKey, prev.ParameterValue);
    } else {
      byKey.set(g.ParameterKey, g.ParameterValue === undefined ? '' : String(g.ParameterValue));
    }
  }
  const missing = [];
  const out = [];
  for (const [k, p] of Object.entries(decl)) {
    let v = byKey.has(k) ? byKey.get(k) : p.Default !== undefined ? String(p.Default) : undefined;
    if (v === undefined) { missing.push(k); continue; }
    if (p.AllowedValues && !p.AllowedValues.map(String).includes(v)) throw validationError(`Parameter '${k}' must be one of AllowedValues`);
    if (p.AllowedPattern && !new RegExp(`^(?:${p.AllowedPattern})$`).test(v)) throw validationError(`Parameter '${k}' must match pattern ${p.AllowedPattern}`);
    if (p.Type === 'Number' && (v === '' || isNaN(Number(v)))) throw validationError(`Parameter '${k}' must be a number.`);
    const entry = { ParameterKey: k, ParameterValue: v };
    if (/^AWS::SSM::Parameter::Value<.*>$/.test(p.Type)) {
      const sp = ssm.get(v);
      if (!sp) throw validationError(`Unable to fetch parameters [${v}] from parameter store for this account.`);
      entry.ResolvedValue = sp.value;
    }
    if (p.NoEcho && String(p.NoEcho) === 'true') entry.NoEcho = true;
    out.push(entry);
  }
  if (missing.length) throw validationError(`Parameters: [${missing.join(', ')}] must have values`);
  return out;
}

function shortHash(...parts) {
  return crypto.createHash('sha256').update(parts.join('/')).digest('hex');
}
function upperHash(s, n) { return shortHash(s).toUpperCase().replace(/[^A-Z0-9]/g, '').slice(0, n); }

const { distributionDomain } = require('./cloudfront');

// The evaluation environment for one stack + template + parameters.
class Evaluator {
  constructor({ template, parameters, stackName, stackId, region, notificationArns = [], exports = new Map() }) {
    this.t = template;
    this.stackName = stackName;
    this.stackId = stackId;
    this.region = region;
    this.notificationArns = notificationArns;
    this.exports = exports;
    this.params = {};
    for (const p of parameters) {
      const decl = (template.Parameters || {})[p.ParameterKey] || {};
      const v = p.ResolvedValue !== undefined ? p.ResolvedValue : p.ParameterValue;
      this.params[p.ParameterKey] = /^(CommaDelimitedList|List<.*>)$/.test(decl.Type) ? v.split(',').map((s) => s.trim()) : v;
    }
    this.conditions = {};
    this.physCache = new Map();
    this.inProgress = new Set();
  }

  condition(name) {
    if (name in this.conditions) return this.conditions[name];
    const def = (this.t.Conditions || {})[name];
    if (def === undefined) throw validationError(`Template format error: Unresolved condition dependency ${name} in Fn::If`);
    this.conditions[name] = false; // cycle guard
    this.conditions[name] = !!this.ev(def);
    return this.conditions[name];
  }

  // Resources that exist under the current conditions, in dependency order.
  activeResources() {
    const ids = Object.keys(this.t.Resources).filter((id) => {
      const c = this.t.Resources[id].Condition;
      return c === undefined || this.condition(c);
    });
    const deps = new Map(ids.map((id) => [id, dependencies(this.t.Resources[id], ids)]));
    const done = new Set();
    const order = [];
    const visit = (id, stack = new Set()) => {
      if (done.has(id) || stack.has(id)) return;
      stack.add(id);
      for (const d of deps.get(id)) visit(d, stack);
      done.add(id);
      order.push(id);
    };
    ids.forEach((id) => visit(id));
    return order;
  }

  physicalId(id) {
    if (this.physCache.has(id)) return this.physCache.get(id);
    const r = this.t.Resources[id];
    const props = r.Properties || {};
    const nameOf = (prop) => (props[prop] !== undefined ? String(this.ev(props[prop])) : null);
    const h = upperHash(`${this.stackName}/${id}`, 12);
    const generic = `${this.stackName}-${id}-${h}`;
    let phys;
    switch (r.Type) {
      case 'AWS::S3::Bucket': phys = nameOf('BucketName') || `${this.stackName}-${id}-${h}`.toLowerCase().slice(0, 63).replace(/-+$/, ''); break;
      case 'AWS::IAM::Role': phys = nameOf('RoleName') || generic.slice(0, 64); break;
      case 'AWS::IAM::ManagedPolicy': phys = `arn:aws:iam::${ACCOUNT}:policy/${nameOf('ManagedPolicyName') || generic}`; break;
      case 'AWS::Lambda::Function': phys = nameOf('FunctionName') || generic.slice(0, 64); break;
      case 'AWS::CloudFront::Distribution': phys = 'E' + upperHash(`${this.stackName}/${id}/dist`, 13); break;
      case 'AWS::CloudFront::OriginAccessControl':
      case 'AWS::CloudFront::CloudFrontOriginAccessIdentity':
      case 'AWS::CloudFront::Function':
        phys = r.Type.endsWith('Function') ? (nameOf('Name') || generic) : 'E' + upperHash(`${this.stackName}/${id}/oac`, 13); break;
      case 'AWS::CloudWatch::Alarm':
      case 'AWS::CloudWatch::CompositeAlarm': phys = nameOf('AlarmName') || generic; break;
      case 'AWS::SSM::Parameter': phys = nameOf('Name') || `CFN-${id}-${h}`; break;
      case 'AWS::SNS::Topic': phys = `arn:aws:sns:${this.region}:${ACCOUNT}:${nameOf('TopicName') || generic}`; break;
      case 'AWS::SQS::Queue': phys = `https://sqs.${this.region}.amazonaws.com/${ACCOUNT}/${nameOf('QueueName') || generic}`; break;
      case 'AWS::CDK::Metadata': phys = crypto.createHash('sha256').update(`${this.stackId}/${id}`).digest('hex').replace(/^(.{8})(.{4})(.{4})(.{4})(.{12}).*/, '$1-$2-$3-$4-$5'); break;
      default: phys = generic;
    }
    this.physCache.set(id, phys);
    return phys;
  }

  getAtt(id, attr) {
    const r = this.t.Resources[id];
    if (!r) throw validationError(`Template error: instance of Fn::GetAtt references undefined resource ${id}`);
    const phys = this.physicalId(id);
    const reg = this.region;
    switch (r.Type) {
      case 'AWS::S3::Bucket':
        switch (attr) {
          case 'Arn': return `arn:aws:s3:::${phys}`;
          case 'DomainName': return `${phys}.s3.amazonaws.com`;
          case 'RegionalDomainName': return `${phys}.s3.${reg}.amazonaws.com`;
          case 'DualStackDomainName': return `${phys}.s3.dualstack.${reg}.amazonaws.com`;
          case 'WebsiteURL': return `http://${phys}.s3-website-${reg}.amazonaws.com`;
          default: break;
        }
        break;
      case 'AWS::CloudFront::Distribution':
        if (attr === 'DomainName') return distributionDomain(phys);
        if (attr === 'Id') return phys;
        break;
      case 'AWS::IAM::Role':
        if (attr === 'Arn') return `arn:aws:iam::${ACCOUNT}:role/${phys}`;
        if (attr === 'RoleId') return 'AROA' + upperHash(phys, 17);
        break;
      case 'AWS::Lambda::Function':
        if (attr === 'Arn') return `arn:aws:lambda:${reg}:${ACCOUNT}:function:${phys}`;
        break;
      case 'AWS::SNS::Topic':
        if (attr === 'TopicArn') return phys;
        if (attr === 'TopicName') return phys.split(':').pop();
        break;
      case 'AWS::SQS::Queue':
        if (attr === 'Arn') return `arn:aws:sqs:${reg}:${ACCOUNT}:${phys.split('/').pop()}`;
        if (attr === 'QueueUrl') return phys;
        if (attr === 'QueueName') return phys.split('/').pop();
        break;
      case 'AWS::CloudWatch::Alarm':
      case 'AWS::CloudWatch::CompositeAlarm':
        if (attr === 'Arn') return `arn:aws:cloudwatch:${reg}:${ACCOUNT}:alarm:${phys}`;
        break;
      case 'AWS::SSM::Parameter':
        if (attr === 'Value') return String(this.ev((r.Properties || {}).Value ?? ''));
        if (attr === 'Type') return String(this.ev((r.Properties || {}).Type ?? 'String'));
        break;
      default: break;
    }
    if (attr === 'Arn') {
      const [, svc, kind] = r.Type.split('::');
      return `arn:aws:${(svc || 'x').toLowerCase()}:${reg}:${ACCOUNT}:${(kind || 'resource').toLowerCase()}/${phys}`;
    }
    return `${phys}.${attr}`;
  }

  ref(name) {
    switch (name) {
      case 'AWS::AccountId': return ACCOUNT;
      case 'AWS::Region': return this.region;
      case 'AWS::StackName': return this.stackName;
      case 'AWS::StackId': return this.stackId;
      case 'AWS::Partition': return 'aws';
      case 'AWS::URLSuffix': return 'amazonaws.com';
      case 'AWS::NoValue': return NOVALUE;
      case 'AWS::NotificationARNs': return this.notificationArns;
      default: break;
    }
    if (name in this.params) return this.params[name];
    if (this.t.Resources[name]) return this.physicalId(name);
    throw validationError(`Template format error: Unresolved resource dependencies [${name}] in the Resources block of the template`);
  }

  // Evaluates intrinsic functions in a template fragment.
  ev(n) {
    if (Array.isArray(n)) return n.map((x) => this.ev(x)).filter((x) => x !== NOVALUE);
    if (!n || typeof n !== 'object') return n;
    const keys = Object.keys(n);
    if (keys.length === 1) {
      const k = keys[0];
      const a = n[k];
      switch (k) {
        case 'Ref': return this.ref(a);
        case 'Fn::GetAtt': {
          const [id, ...rest] = Array.isArray(a) ? [a[0], this.ev(a[1])] : String(a).split('.');
          return this.getAtt(id, Array.isArray(rest) ? rest.join('.') : rest);
        }
        case 'Fn::Join': { const [d, list] = a; return this.ev(list).join(this.ev(d)); }
        case 'Fn::Select': { const [i, list] = a; const l = this.ev(list); const idx = Number(this.ev(i)); if (!(idx >= 0 && idx < l.length)) throw validationError('Template error: Fn::Select cannot select nonexistent value at index ' + idx); return l[idx]; }
        case 'Fn::Split': { const [d, s] = a; return String(this.ev(s)).split(this.ev(d)); }
        case 'Fn::Sub': return this.sub(a);
        case 'Fn::If': { const [c, yes, no] = a; return this.ev(this.condition(c) ? yes : no); }
        case 'Fn::Equals': { const [x, y] = a.map((v) => this.ev(v)); return JSON.stringify(x) === JSON.stringify(y); }
        case 'Fn::Not': return !this.ev(a[0]);
        case 'Fn::And': return a.every((x) => this.ev(x));
        case 'Fn::Or': return a.some((x) => this.ev(x));
        case 'Condition': return this.condition(a);
        case 'Fn::Contains': { const [list, v] = a.map((x) => this.ev(x)); return list.map(String).includes(String(v)); }
        case 'Fn::EachMemberIn': { const [l1, l2] = a.map((x) => this.ev(x)); return l1.every((x) => l2.includes(x)); }
        case 'Fn::FindInMap': {
          const [m, k1, k2] = a.map((x) => this.ev(x));
          const v = ((this.t.Mappings || {})[m] || {})[k1];
          if (!v || v[k2] === undefined) throw validationError(`Template error: Unable to get mapping for ${m}::${k1}::${k2}`);
          return v[k2];
        }
        case 'Fn::Base64': return Buffer.from(String(this.ev(a))).toString('base64');
        case 'Fn::GetAZs': { const r = this.ev(a) || this.region; return [`${r}a`, `${r}c`, `${r}d`]; }
        case 'Fn::ImportValue': {
          const name = this.ev(a);
          const e = this.exports.get(name);
          if (!e) throw validationError(`No export named ${name} found. Rollback requested by user.`);
          return e.value;
        }
        case 'Fn::ToJsonString': return JSON.stringify(this.ev(a));
        case 'Fn::Length': return this.ev(a).length;
        default: break;
      }
    }
    const out = {};
    for (const [k, v] of Object.entries(n)) {
      const e = this.ev(v);
      if (e !== NOVALUE) out[k] = e;
    }
    return out;
  }

  sub(a) {
    const [str, vars] = Array.isArray(a) ? a : [a, {}];
    const local = {};
    for (const [k, v] of Object.entries(vars || {})) local[k] = this.ev(v);
    return String(str).replace(/\$\{([^}]*)\}/g, (whole, inner) => {
      if (inner.startsWith('!')) return '${' + inner.slice(1) + '}';
      const name = inner.trim();
      if (name in local) return String(local[name]);
      if (name.includes('.') && !PSEUDO.has(name) && !(name in this.params)) {
        const i = name.indexOf('.');
        return String(this.getAtt(name.slice(0, i), name.slice(i + 1)));
      }
      const v = this.ref(name);
      return Array.isArray(v) ? v.join(',') : String(v);
    });
  }

  resourceProps(id) {
    const r = this.t.Resources[id];
    return this.ev(r.Properties || {});
  }

  outputs() {
    const out = [];
    for (const [k, o] of Object.entries(this.t.Outputs || {})) {
      if (o.Condition !== undefined && !this.condition(o.Condition)) continue;
      const v = this.ev(o.Value);
      const item = { OutputKey: k, OutputValue: Array.isArray(v) ? v.join(',') : String(v) };
      if (o.Description !== undefined) item.Description = String(this.ev(o.Description));
      if (o.Export && o.Export.Name !== undefined) item.ExportName = String(this.ev(o.Export.Name));
      out.push(item);
    }
    return out;
  }

  // Rules/Assertions (CDK's CheckBootstrapVersion): a false assertion fails
  // the change set with its AssertDescription.
  checkRules() {
    for (const [name, rule] of Object.entries(this.t.Rules || {})) {
      let applies = true;
      if (rule.RuleCondition !== undefined) { try { applies = !!this.ev(rule.RuleCondition); } catch { applies = true; } }
      if (!applies) continue;
      for (const a of rule.Assertions || []) {
        let ok;
        try { ok = !!this.ev(a.Assert); } catch { ok = true; }
        if (!ok) throw validationError(a.AssertDescription || `Template error: rule ${name} assertion failed`);
      }
    }
  }
}

function dependencies(r, ids) {
  const deps = new Set([].concat(r.DependsOn || []));
  const walk = (n) => {
    if (Array.isArray(n)) { n.forEach(walk); return; }
    if (!n || typeof n !== 'object') return;
    for (const [k, v] of Object.entries(n)) {
      if (k === 'Ref' && typeof v === 'string' && ids.includes(v)) deps.add(v);
      else if (k === 'Fn::GetAtt') {
        const t = Array.isArray(v) ? v[0] : String(v).split('.')[0];
        if (ids.includes(t)) deps.add(t);
      } else if (k === 'Fn::Sub') {
        const s = Array.isArray(v) ? v[0] : v;
        for (const m of String(s).matchAll(/\$\{([^!}][^}.]*)/g)) if (ids.includes(m[1].trim())) deps.add(m[1].trim());
        if (Array.isArray(v)) walk(v[1]);
      } else walk(v);
    }
  };
  walk(r.Properties || {});
  return [...deps].filter((d) => ids.includes(d));
}

// Canonical JSON (sorted keys) for comparisons.
function canon(v) {
  if (Array.isArray(v)) return `[${v.map(canon).join(',')}]`;
  if (v && typeof v === 'object') return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canon(v[k])}`).join(',')}}`;
  return JSON.stringify(v);
}

const NAME_PROPS = { 'AWS::S3::Bucket': 'BucketName', 'AWS::IAM::Role': 'RoleName', 'AWS::Lambda::Function': 'FunctionName', 'AWS::CloudWatch::Alarm': 'AlarmName', 'AWS::SSM::Parameter': 'Name', 'AWS::SNS::Topic': 'TopicName', 'AWS::SQS::Queue': 'QueueName' };

// Diffs the deployed resources (Map id -> {type, props, physicalId}) against
// the new evaluator's resources.
function computeChanges(oldResources, ev) {
  const changes = [];
  const active = ev.activeResources();
  for (const id of active) {
    const r = ev.t.Resources[id];
    const props = ev.resourceProps(id);
    const old = oldResources.get(id);
    if (!old) {
      changes.push({ Action: 'Add', LogicalResourceId: id, ResourceType: r.Type, props });
    } else if (old.type !== r.Type || canon(old.props) !== canon(props) || canon(old.meta || {}) !== canon(metaOf(r))) {
      const nameProp = NAME_PROPS[r.Type];
      const replacement = old.type !== r.Type || (nameProp && canon(old.props[nameProp]) !== canon(props[nameProp])) ? 'True' : 'False';
      changes.push({ Action: 'Modify', LogicalResourceId: id, PhysicalResourceId: old.physicalId, ResourceType: r.Type, Replacement: replacement, props });
    }
  }
  for (const [id, old] of oldResources) {
    if (!active.includes(id)) changes.push({ Action: 'Remove', LogicalResourceId: id, PhysicalResourceId: old.physicalId, ResourceType: old.type });
  }
  return changes;
}

// Attributes besides Properties whose change counts as a modification.
function metaOf(r) {
  const m = {};
  for (const k of ['DeletionPolicy', 'UpdateReplacePolicy', 'Metadata']) if (r[k] !== undefined) m[k] = r[k];
  return m;
}

module.exports = { parseTemplate, iamCapability, resolveParameters, Evaluator, computeChanges, canon, metaOf, distributionDomain, validationError, IAM_TYPES };
