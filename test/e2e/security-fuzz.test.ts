/**
 * Fuzzing a running, generated, secured project over HTTP (SECURITY.md "What the tests prove"):
 * 10,000 generated requests per route kind (read, search, create, update/patch, batch/transaction,
 * and the token endpoints), with generated paths, query strings, headers and bodies, most with a
 * valid token and some with garbage in `Authorization`. Zero 5xx, the server never exits, every FHIR
 * error is an OperationOutcome (and every token-endpoint error an RFC 6749 error object). The
 * requests are generated with a fixed seed, so a run is repeatable; they go out 16 at a time.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import fc from 'fast-check';
import { installedProject, type StartedServer, startServer } from '../support/project';
import { clientSecretOf, clientToken, SECURE_PROJECT } from './security-support';

const RUNS = Number(process.env.FUZZ_RUNS ?? 10_000);
const CONCURRENCY = 16;

interface FuzzRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
  /** Source address: the token endpoints are fuzzed from another loopback address (own rate limit). */
  localAddress?: string;
}

const printable = (max: number) => fc.string({ unit: 'binary-ascii', maxLength: max }).map(clean);
/** What may go in a header value (RFC 9110 §5.5): no control characters. */
function clean(value: string): string {
  return value.replace(/[^\x20-\x7e]/g, '');
}

const type = fc.constantFrom(
  'Patient',
  'Observation',
  'Encounter',
  'NotAType',
  'patient',
  'Bundle',
  '$everything',
);
const id = fc.oneof(
  fc.constantFrom(
    'p1',
    'p2',
    'x',
    '..',
    '%2e%2e',
    '%00',
    '%zz',
    'a'.repeat(65),
    '$validate',
    '_history',
    'metadata',
  ),
  fc.stringMatching(/^[A-Za-z0-9\-.]{1,64}$/),
  fc.string({ maxLength: 16 }).map(encodeURIComponent),
);
const paramName = fc.oneof(
  fc.constantFrom(
    '_id',
    'name',
    'family',
    '_count',
    '_offset',
    '_include',
    '_include:iterate',
    '_revinclude',
    '_sort',
    'subject',
    'subject:Patient.name',
    'code',
    'code:text',
    'date',
    'value-quantity',
    '_summary',
    '_elements',
    '_total',
    '_has:Observation:subject:code',
    '_lastUpdated',
    '__proto__',
    'constructor',
    '_format',
    '_since',
  ),
  fc.string({ maxLength: 10 }),
);
const paramValue = fc.oneof(
  fc.constantFrom(
    'Observation:subject:Patient',
    'Observation:subject',
    'Provenance:target',
    '*',
    'ge2020-01-01',
    'lt2021',
    '2020-13-45',
    '5.4|http://unitsofmeasure.org|mg',
    'http://loinc.org|1234-5',
    'Patient/p1',
    '-date,name',
    'count',
    '1000000',
    '-1',
    'json',
    'a,b,c',
    '\\,',
  ),
  fc.string({ maxLength: 24 }),
);
const query = fc
  .array(fc.tuple(paramName, paramValue), { maxLength: 5 })
  .map((pairs) => (pairs.length === 0 ? '' : `?${new URLSearchParams(pairs).toString()}`));
const authorization = fc.oneof(
  { weight: 8, arbitrary: fc.constant('VALID') },
  {
    weight: 2,
    arbitrary: fc.oneof(
      fc.constant(''),
      printable(40),
      printable(200).map((text) => `Bearer ${text}`),
      fc.constantFrom(
        'Bearer',
        'Basic YWRtaW46eA==',
        'Bearer a.b.c',
        'bearer  x',
        'Bearer eyJhbGciOiJub25lIn0.e30.',
      ),
    ),
  },
);
const extraHeaders = fc.record(
  {
    accept: fc.oneof(
      fc.constantFrom('application/fhir+json', 'application/json', 'application/xml', '*/*', 'text/html'),
      printable(30),
    ),
    prefer: fc.oneof(
      fc.constantFrom('return=minimal', 'return=OperationOutcome', 'handling=lenient'),
      printable(30),
    ),
    'if-match': fc.oneof(fc.constantFrom('W/"1"', '"1"', '*'), printable(12)),
    'if-none-exist': fc.oneof(fc.constantFrom('identifier=x', '_id=p1', ''), printable(20)),
    'x-request-id': printable(140),
    'x-forwarded-for': fc.constantFrom('127.0.0.2', '10.0.0.1, 127.0.0.1', 'garbage'),
  },
  { requiredKeys: [] },
);
const contentType = fc.oneof(
  fc.constantFrom(
    'application/fhir+json',
    'application/json',
    'application/json+fhir',
    'application/json-patch+json',
    'text/plain',
    'application/x-www-form-urlencoded',
    'application/fhir+json; charset=latin1',
  ),
  printable(30),
);
const resourceish = fc.record(
  {
    resourceType: fc.constantFrom('Patient', 'Observation', 'Bundle', 'Parameters', 'Binary', '__proto__'),
    id: fc.oneof(fc.constantFrom('p1', 'x'), fc.string({ maxLength: 8 })),
    status: fc.constantFrom('final', 'amended', 'nonsense'),
    code: fc.constant({ text: 'x' }),
    gender: fc.constantFrom('male', 'robot'),
    subject: fc.oneof(
      fc.constantFrom({ reference: 'Patient/p1' }, { reference: 'Patient/p2' }),
      fc.jsonValue({ maxDepth: 2 }),
    ),
    name: fc.array(fc.record({ family: fc.string({ maxLength: 6 }) }), { maxLength: 2 }),
    meta: fc.jsonValue({ maxDepth: 2 }),
  },
  { requiredKeys: [] },
);
const hostile = fc.constantFrom(
  '{"resourceType":"Patient","__proto__":{"polluted":true}}',
  '{"resourceType":"Patient","constructor":{"prototype":{"polluted":true}}}',
  `${'['.repeat(5000)}${']'.repeat(5000)}`,
  `{"resourceType":"Patient","a":${'{"b":'.repeat(200)}1${'}'.repeat(200)}}`,
  '{"resourceType":',
  '',
  'null',
  '[]',
  '"text"',
  '\u0000',
);
const body = fc.oneof(
  { weight: 4, arbitrary: resourceish.map((value) => JSON.stringify(value)) },
  { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 4 }).map((value) => JSON.stringify(value)) },
  { weight: 1, arbitrary: hostile },
  { weight: 1, arbitrary: fc.string({ maxLength: 64 }) },
);
const patch = fc.oneof(
  fc
    .array(
      fc.record({
        op: fc.constantFrom('add', 'remove', 'replace', 'move', 'copy', 'test', 'nope'),
        path: fc.constantFrom('/gender', '/id', '/resourceType', '/name/0/family', '/__proto__/x', '', '/-'),
        value: fc.jsonValue({ maxDepth: 2 }),
        from: fc.constantFrom('/gender', '/name'),
      }),
      { maxLength: 3 },
    )
    .map((ops) => JSON.stringify(ops)),
  body,
);
const entry = fc.record(
  {
    fullUrl: fc.constantFrom('urn:uuid:61ebe359-bfdc-4613-8bf2-c5e300945f0a', 'Patient/p1', 'x'),
    resource: resourceish,
    request: fc.record(
      {
        method: fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'TRACE'),
        url: fc.oneof(
          fc.constantFrom(
            'Patient',
            'Patient/p1',
            'Observation?_include=Observation:subject',
            '/',
            'http://elsewhere/x',
            '%zz',
            'metadata',
          ),
          fc.string({ maxLength: 20 }),
        ),
        ifMatch: fc.constantFrom('W/"1"', 'x'),
      },
      { requiredKeys: ['method'] },
    ),
  },
  { requiredKeys: [] },
);
const bundle = fc.oneof(
  {
    weight: 4,
    arbitrary: fc
      .record(
        {
          resourceType: fc.constantFrom('Bundle', 'Patient'),
          type: fc.constantFrom('batch', 'transaction', 'searchset', 'x'),
          entry: fc.array(entry, { maxLength: 4 }),
        },
        { requiredKeys: [] },
      )
      .map((value) => JSON.stringify(value)),
  },
  { weight: 1, arbitrary: body },
);

function withHeaders(extra: Record<string, string>, auth: string, type?: string): Record<string, string> {
  const headers: Record<string, string> = { ...extra };
  if (auth !== '') headers.authorization = auth;
  if (type !== undefined) headers['content-type'] = type;
  return headers;
}

const KINDS: Record<string, fc.Arbitrary<FuzzRequest>> = {
  read: fc
    .tuple(type, id, fc.option(id, { nil: undefined }), query, extraHeaders, authorization)
    .map(([t, i, version, q, extra, auth]) => ({
      method: 'GET',
      path: `/r4/${t}/${i}${version === undefined ? '' : `/_history/${version}`}${q}`,
      headers: withHeaders(extra, auth),
    })),
  search: fc.tuple(type, query, fc.boolean(), extraHeaders, authorization).map(([t, q, post, extra, auth]) =>
    post
      ? {
          method: 'POST',
          path: `/r4/${t}/_search`,
          headers: withHeaders(extra, auth, 'application/x-www-form-urlencoded'),
          body: q.slice(1),
        }
      : { method: 'GET', path: `/r4/${t}${q}`, headers: withHeaders(extra, auth) },
  ),
  create: fc
    .tuple(type, body, contentType, extraHeaders, authorization, fc.constantFrom('', '/$validate'))
    .map(([t, b, ct, extra, auth, op]) => ({
      method: 'POST',
      path: `/r4/${t}${op}`,
      headers: withHeaders(extra, auth, ct),
      body: b,
    })),
  update: fc
    .tuple(
      type,
      id,
      fc.constantFrom('PUT', 'PATCH', 'DELETE'),
      patch,
      contentType,
      extraHeaders,
      authorization,
    )
    .map(([t, i, method, b, ct, extra, auth]) => ({
      method,
      path: `/r4/${t}/${i}`,
      headers: withHeaders(extra, auth, ct),
      body: b,
    })),
  bundle: fc
    .tuple(bundle, fc.constantFrom('application/fhir+json', 'application/json'), extraHeaders, authorization)
    .map(([b, ct, extra, auth]) => ({
      method: 'POST',
      path: '/r4',
      headers: withHeaders(extra, auth, ct),
      body: b,
    })),
};

const formValue = fc.oneof(
  fc.constantFrom('client_credentials', 'password', 'admin', 'system/*.*', 'a.b.c'),
  fc.string({ maxLength: 40 }),
);
const AUTH_KIND: fc.Arbitrary<FuzzRequest> = fc
  .tuple(
    fc.constantFrom('/auth/token', '/auth/revoke', '/auth/introspect'),
    fc.array(
      fc.tuple(
        fc.constantFrom(
          'grant_type',
          'scope',
          'client_id',
          'client_secret',
          'token',
          'username',
          'password',
          '__proto__',
        ),
        formValue,
      ),
      { maxLength: 6 },
    ),
    fc.oneof(fc.constant('application/x-www-form-urlencoded'), contentType),
    fc.oneof(fc.constant(''), printable(60), fc.constantFrom('Basic YWRtaW46eA==', 'Basic ', 'Basic %%%')),
  )
  .map(([endpoint, pairs, ct, auth]) => ({
    method: 'POST',
    path: endpoint,
    headers: withHeaders({}, auth, ct),
    body: new URLSearchParams(pairs).toString(),
    localAddress: '127.0.0.3',
  }));

interface Answer {
  status: number;
  contentType: string;
  text: string;
}

function sendOne(agent: http.Agent, base: string, request: FuzzRequest, token: string): Promise<Answer> {
  const headers = { ...request.headers };
  // Framed like any client frames a body (Node would send a DELETE body unframed).
  if (request.body !== undefined) headers['content-length'] = String(Buffer.byteLength(request.body));
  if (headers.authorization === 'VALID') headers.authorization = `Bearer ${token}`;
  return new Promise((resolve, reject) => {
    const req = http.request(
      `${base}${request.path}`,
      {
        method: request.method,
        headers,
        ...(request.localAddress === undefined
          ? { agent }
          : { agent: false, localAddress: request.localAddress }),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            contentType: String(res.headers['content-type'] ?? ''),
            text: Buffer.concat(chunks).toString('utf8'),
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(request.body);
  });
}

describe('fuzzing a running generated project', function () {
  this.timeout(900_000);
  let server: StartedServer;
  let secret: string;
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });

  before(async () => {
    const project = await installedProject(SECURE_PROJECT);
    secret = clientSecretOf(project.output);
    server = await startServer(project.dir, {
      TRANSPORT: 'http',
      LOG_LEVEL: 'error',
      AUDIT_LOG: 'logs/fuzz-audit.log',
    });
  });

  after(async () => {
    agent.destroy();
    await server?.stop();
  });

  async function fuzz(kind: string, arbitrary: fc.Arbitrary<FuzzRequest>, isFhir: boolean) {
    const requests = fc.sample(arbitrary, { numRuns: RUNS, seed: 7 });
    const token = await clientToken(server.url, 'admin', secret);
    const statuses = new Map<number, number>();
    const problems: string[] = [];
    for (let start = 0; start < requests.length; start += CONCURRENCY) {
      const batch = requests.slice(start, start + CONCURRENCY);
      const answers = await Promise.all(batch.map((request) => sendOne(agent, server.url, request, token)));
      answers.forEach((answer, index) => {
        statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
        const problem = checkAnswer(answer, isFhir);
        if (problem && problems.length < 5)
          problems.push(`${problem}: ${JSON.stringify(batch[index]).slice(0, 300)}`);
      });
    }
    assert.equal(server.child.exitCode, null, `the server exited:\n${server.output()}`);
    assert.deepEqual(problems, [], `${kind}: ${[...statuses].map(([s, n]) => `${s}x${n}`).join(' ')}`);
    // The generated requests reach past authentication: most carry the token and are answered on their merits.
    const answered = [...statuses].filter(([status]) => status !== 401).reduce((sum, [, n]) => sum + n, 0);
    assert.ok(answered > RUNS / 2, `${kind}: ${[...statuses].map(([s, n]) => `${s}x${n}`).join(' ')}`);
    assert.equal(requests.length, RUNS);
  }

  function checkAnswer(answer: Answer, isFhir: boolean): string | undefined {
    if (answer.status >= 500) return `status ${answer.status} ${answer.text.slice(0, 200)}`;
    if (answer.status < 400) return undefined;
    let parsed: { resourceType?: string; error?: unknown } | undefined;
    try {
      parsed = JSON.parse(answer.text);
    } catch {
      return `status ${answer.status} without a JSON body`;
    }
    if (isFhir) {
      if (!/^application\/fhir\+json/.test(answer.contentType)) return `content type ${answer.contentType}`;
      if (parsed?.resourceType !== 'OperationOutcome')
        return `status ${answer.status} without an OperationOutcome`;
    } else if (typeof parsed?.error !== 'string') return `status ${answer.status} without an OAuth error`;
    return undefined;
  }

  for (const [kind, arbitrary] of Object.entries(KINDS)) {
    it(`${kind}: ${RUNS} generated requests, no 5xx, every error an OperationOutcome`, async () => {
      await fuzz(kind, arbitrary, true);
    });
  }

  it(`token endpoints: ${RUNS} generated requests, no 5xx, every error an OAuth error`, async () => {
    await fuzz('auth', AUTH_KIND, false);
  });

  it('still serves after the fuzzing, and wrote no crash to its output', async () => {
    const token = await clientToken(server.url, 'admin', secret);
    const reply = await fetch(`${server.url}/r4/Patient?_count=1`, {
      headers: { authorization: `Bearer ${token}` },
    });
    assert.equal(reply.status, 200);
    assert.doesNotMatch(server.output(), /uncaught|unhandled|FATAL|"level":60/i);
  });
});
