'use strict';
// One error type for every service; each protocol renders it in the shape
// the real service uses, so SDK error parsers see what they expect.

const { el, DECL } = require('./xml');

class AwsError extends Error {
  // extra: additional S3 <Error> children, e.g. {StringToSign: '...'}
  constructor(status, code, message, extra = {}, headers = {}) {
    super(message);
    this.status = status;
    this.code = code;
    this.extra = extra;
    this.headers = headers;
  }
}

const NS = {
  cloudformation: 'http://cloudformation.amazonaws.com/doc/2010-05-15/',
  sts: 'https://sts.amazonaws.com/doc/2011-06-15/',
  monitoring: 'http://monitoring.amazonaws.com/doc/2010-08-01/',
  cloudfront: 'http://cloudfront.amazonaws.com/doc/2020-05-31/',
  s3: 'http://s3.amazonaws.com/doc/2006-03-01/',
};

// Returns {status, headers, body} for the given protocol.
//   protocol: 's3' | 'query' | 'cloudfront' | 'json'
function renderError(err, protocol, { requestId, service, method, queryCompatible }) {
  const headers = { ...err.headers };
  const type = err.status >= 500 ? 'Receiver' : 'Sender';
  let body;
  switch (protocol) {
    case 's3': {
      headers['content-type'] = 'application/xml';
      const extra = Object.entries(err.extra || {}).map(([k, v]) => el(k, v)).join('');
      body = DECL + `<Error>${el('Code', err.code)}${el('Message', err.message)}${extra}${el('RequestId', requestId)}${el('HostId', hostId(requestId))}</Error>`;
      break;
    }
    case 'cloudfront':
    case 'query': {
      headers['content-type'] = 'text/xml';
      const ns = protocol === 'cloudfront' ? NS.cloudfront : NS[service];
      body = `<ErrorResponse${ns ? ` xmlns="${ns}"` : ''}><Error><Type>${type}</Type>${el('Code', err.code)}${el('Message', err.message)}</Error>${el('RequestId', requestId)}</ErrorResponse>`;
      break;
    }
    case 'json': {
      headers['content-type'] = 'application/x-amz-json-1.1';
      if (queryCompatible) {
        headers['content-type'] = 'application/x-amz-json-1.0';
        // awsQueryCompatible services tell the SDK the Query error code here.
        headers['x-amzn-query-error'] = `${err.code};${type}`;
      }
      body = JSON.stringify({ __type: err.code, message: err.message });
      break;
    }
    default: {
      headers['content-type'] = 'application/json';
      body = JSON.stringify({ error: err.code, message: err.message });
    }
  }
  if (method === 'HEAD') body = '';
  return { status: err.status, headers, body };
}

function hostId(requestId) {
  return Buffer.from('double/' + requestId).toString('base64');
}

module.exports = { AwsError, renderError, NS, hostId };
