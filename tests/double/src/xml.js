'use strict';
// XML out (hand-written templates, escaped here) and XML in (fast-xml-parser
// configured to keep every value as an exact string: S3 keys may have
// leading spaces, digits-only names, entities).

const { XMLParser, XMLValidator } = require('fast-xml-parser');

function escapeXml(s) {
  return String(s).replace(/[&<>"'\u0000-\u0008\u000b\u000c\u000e-\u001f\r]/g, (c) => {
    switch (c) {
      case '&': return '&amp;';
      case '<': return '&lt;';
      case '>': return '&gt;';
      case '"': return '&quot;';
      case "'": return '&apos;';
      case '\r': return '&#13;';
      default: return '&#x' + c.charCodeAt(0).toString(16).toUpperCase() + ';';
    }
  });
}

// <name>value</name>, or nothing when the value is absent.
function el(name, value) {
  if (value === undefined || value === null) return '';
  return `<${name}>${escapeXml(value)}</${name}>`;
}
// <name>already-built xml</name>
function raw(name, inner) {
  if (inner === undefined || inner === null) return '';
  return `<${name}>${inner}</${name}>`;
}

const DECL = '<?xml version="1.0" encoding="UTF-8"?>\n';

const parser = new XMLParser({
  ignoreAttributes: true,
  removeNSPrefix: true,
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: false,
  processEntities: true,
  htmlEntities: true,
  ignoreDeclaration: true,
  isArray: (name) => ['Object', 'Part', 'Path', 'member'].includes(name),
});

// Returns the parsed tree, or null when the text is not well-formed XML.
function parseXml(text) {
  if (typeof text !== 'string') text = Buffer.from(text).toString('utf8');
  if (text.trim() === '') return null;
  if (XMLValidator.validate(text) !== true) return null;
  try { return parser.parse(text); } catch { return null; }
}

// Text content of a parsed element ('' for <a/>); undefined if missing.
function text(v) {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string') return v;
  if (typeof v === 'object' && '#text' in v) return String(v['#text']);
  if (typeof v === 'object') return '';
  return String(v);
}

module.exports = { escapeXml, el, raw, DECL, parseXml, text };
