/**
 * `patient/` scopes against the generated Patient compartment of each version (CompartmentDefinition
 * `patient` in STU3 and R4; DSTU2's reference parameters). The cases are ones where the definition
 * and the older rule "any reference parameter that may point at a Patient" disagree: R4 lists
 * Observation `subject` and `performer` but not `focus`, MedicationRequest `subject` but not
 * `requester`, and no parameter at all for Task.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { compartmentGuard } from '../../src/runtime/app/security';
import type { ResourceJson } from '../../src/runtime/binding';
import type { Principal } from '../../src/runtime/contracts';
import { screenOperationResult } from '../../src/runtime/http/guard-operation';
import { createFhirHandler, type FhirHandler } from '../../src/runtime/http/handler';
import type { FhirRequest } from '../../src/runtime/http/types';
import { compartmentParams, type PatientCompartment } from '../../src/runtime/security/compartment';
import { canSee } from '../../src/runtime/security/visibility';
import type { ResourceService } from '../../src/runtime/service';
import { type GeneratedVersion, generatedBinding } from './fixtures/generated';

function compartmentOf(version: GeneratedVersion): PatientCompartment {
  const file = path.resolve(__dirname, '..', '..', 'generated', version, 'server', 'version.json');
  return JSON.parse(readFileSync(file, 'utf8')).patientCompartment.resources;
}

const P1: Principal = {
  subject: 'app',
  clientId: 'app',
  scopes: ['patient/*.read'],
  patient: 'p1',
  tokenId: 'j1',
};

function visibleTo(version: GeneratedVersion, resource: ResourceJson, principal = P1): boolean {
  return canSee(principal, resource, { compartmentParams: compartmentParams(compartmentOf(version)) });
}

const ref = (reference: string) => ({ reference });
const observation = (id: string, fields: Record<string, unknown>): ResourceJson => ({
  resourceType: 'Observation',
  id,
  status: 'final',
  code: { text: 'heart rate' },
  ...fields,
});

describe('patient compartment from the generated definitions', () => {
  it('R4 Observation: subject and performer place it, focus does not', () => {
    assert.equal(visibleTo('r4', observation('o1', { subject: ref('Patient/p1') })), true);
    assert.equal(
      visibleTo('r4', observation('o2', { subject: ref('Patient/p2'), performer: [ref('Patient/p1')] })),
      true,
    );
    assert.equal(
      visibleTo('r4', observation('o3', { subject: ref('Patient/p2'), focus: [ref('Patient/p1')] })),
      false,
    );
  });

  it('R4 MedicationRequest and Consent: only the parameters the definition lists', () => {
    const request = {
      resourceType: 'MedicationRequest',
      id: 'm1',
      subject: ref('Patient/p2'),
      requester: ref('Patient/p1'),
    };
    assert.equal(visibleTo('r4', request), false);
    assert.equal(visibleTo('r4', { ...request, subject: ref('Patient/p1') }), true);
    const consent = {
      resourceType: 'Consent',
      id: 'c1',
      patient: ref('Patient/p2'),
      performer: [ref('Patient/p1')],
    };
    assert.equal(visibleTo('r4', consent), false);
  });

  it('R4 Task and Practitioner are outside the compartment, whatever they reference', () => {
    const lookup = compartmentParams(compartmentOf('r4'));
    assert.equal(lookup('Task'), undefined);
    assert.equal(lookup('Practitioner'), undefined);
    assert.deepEqual(lookup('Encounter'), [{ name: 'patient', paths: ['subject'] }]);
    assert.equal(visibleTo('r4', { resourceType: 'Task', id: 't1', for: ref('Patient/p1') }), false);
  });

  it('R4 Patient: itself by id, and a Patient that links to it', () => {
    assert.equal(visibleTo('r4', { resourceType: 'Patient', id: 'p1' }), true);
    assert.equal(
      visibleTo('r4', { resourceType: 'Patient', id: 'p9', link: [{ other: ref('Patient/p1') }] }),
      true,
    );
    assert.equal(visibleTo('r4', { resourceType: 'Patient', id: 'p2' }), false);
  });

  it('STU3 AuditEvent: its patient parameter reads agent.reference and entity.reference', () => {
    const event = { resourceType: 'AuditEvent', id: 'a1', agent: [{ reference: ref('Patient/p1') }] };
    assert.equal(visibleTo('stu3', event), true);
    assert.equal(visibleTo('stu3', { ...event, agent: [{ reference: ref('Patient/p2') }] }), false);
    assert.equal(compartmentParams(compartmentOf('stu3'))('Task'), undefined);
  });

  it('DSTU2: reference parameters that may point at a Patient, since 1.0.2 has no CompartmentDefinition', () => {
    assert.equal(visibleTo('dstu2', observation('o1', { subject: ref('Patient/p1') })), true);
    assert.equal(compartmentParams(compartmentOf('dstu2'))('Practitioner'), undefined);
  });
});

describe('custom operation results, screened', () => {
  const screen = {
    resourceOf: (entry: { resource?: unknown }) => entry.resource as ResourceJson | undefined,
    sees: (resource: ResourceJson) => resource.id !== 'hidden',
  };
  const entries = (...ids: string[]) => ids.map((id) => ({ resource: { resourceType: 'Observation', id } }));

  it('drops hidden history entries without adding an entry a history Bundle cannot hold', () => {
    const verdict = screenOperationResult(
      { resourceType: 'Bundle', type: 'history', total: 2, entry: entries('seen', 'hidden') },
      screen,
    );
    assert.deepEqual(verdict, { body: { resourceType: 'Bundle', type: 'history', entry: entries('seen') } });
  });

  it('refuses a batch-response with a hidden entry, and passes entries without a resource', () => {
    const response = { resourceType: 'Bundle', type: 'batch-response', entry: entries('seen', 'hidden') };
    assert.deepEqual(screenOperationResult(response, screen), {
      refused: 'an entry of the batch-response Bundle',
    });
    const statuses = { ...response, entry: [{ response: { status: '200' } }, ...entries('seen')] };
    assert.deepEqual(screenOperationResult(statuses, screen), { body: statuses });
  });

  it('keeps nothing but the patient itself when a binding carries no compartment', () => {
    assert.deepEqual(compartmentParams({})('Patient'), []);
    assert.equal(compartmentParams({})('Observation'), undefined);
  });
});

describe('the compartment guard in front of the R4 handler', function () {
  this.timeout(60_000);
  const binding = generatedBinding('r4');
  const own = observation('own', { subject: ref('Patient/p1') });
  const others = observation('others', { subject: ref('Patient/p2') });
  const focused = observation('focused', { subject: ref('Patient/p2'), focus: [ref('Patient/p1')] });
  const practitioner = { resourceType: 'Practitioner', id: 'dr' };
  const composition = {
    resourceType: 'Composition',
    id: 'c',
    status: 'final',
    type: { text: 'summary' },
    subject: ref('Patient/p1'),
    date: '2024-01-01',
    author: [ref('Patient/p1')],
    title: 'Summary',
  };
  const results: Record<string, unknown> = {
    searchset: bundle('searchset', [own, others, practitioner], 3),
    collection: bundle('collection', [own, focused]),
    document: bundle('document', [composition, own, others]),
    'own-parameters': { resourceType: 'Parameters', parameter: [{ name: 'return', resource: own }] },
    'other-parameters': {
      resourceType: 'Parameters',
      parameter: [{ name: 'result', part: [{ name: 'item', resource: others }] }],
    },
    'own-observation': own,
    'other-observation': others,
    outcome: {
      resourceType: 'OperationOutcome',
      issue: [{ severity: 'information', code: 'informational', diagnostics: 'nothing to do' }],
    },
  };
  const reads: string[] = [];
  const stored: Record<string, ResourceJson> = { own, others, focused };
  const services: Record<string, ResourceService> = {
    Patient: {
      read: (id) => ({ resourceType: 'Patient', id }),
      operations: [
        {
          name: 'result',
          instance: true,
          handler: (input) =>
            results[input.params.find(([name]) => name === 'kind')?.[1] ?? ''] as ResourceJson,
        },
      ],
    },
    Observation: { read: (id) => stored[id] },
    Task: {
      read: (id) => {
        reads.push(`Task/${id}`);
        return { resourceType: 'Task', id, status: 'ready', intent: 'order', for: ref('Patient/p1') };
      },
    },
  };
  const handler: FhirHandler = createFhirHandler({ binding, services, guard: compartmentGuard(binding) });
  const send = (pathname: string, principal: Principal = P1, init: Partial<FhirRequest> = {}) => {
    const [route, search] = pathname.split('?');
    return handler.handle({
      method: 'GET',
      path: route ?? '',
      query: [...new URLSearchParams(search ?? '')] as [string, string][],
      headers: {},
      baseUrl: 'http://127.0.0.1/r4',
      requestId: 'r',
      principal,
      ...init,
    });
  };
  // biome-ignore lint/suspicious/noExplicitAny: response bodies are read field by field
  const bodyOf = (response: { body?: unknown }) => JSON.parse(JSON.stringify(response.body)) as any;

  it('refuses a type outside the compartment before its service runs, with the scope challenge', async () => {
    const refused = await send('/Task/t1');
    assert.equal(refused.status, 403);
    assert.match(refused.headers['WWW-Authenticate'] ?? '', /insufficient_scope/);
    assert.match(bodyOf(refused).issue[0].diagnostics, /Task is not in the patient compartment/);
    assert.deepEqual(reads, []);
    const wider = { ...P1, scopes: ['patient/*.read', 'user/Task.read'] };
    assert.equal((await send('/Task/t1', wider)).status, 200);
    assert.deepEqual(reads, ['Task/t1']);
  });

  it('refuses the same inside a batch, entry by entry', async () => {
    const response = await send('', P1, {
      method: 'POST',
      body: {
        resourceType: 'Bundle',
        type: 'batch',
        entry: [
          { request: { method: 'GET', url: 'Task/t1' } },
          { request: { method: 'GET', url: 'Observation/own' } },
        ],
      },
    });
    const statuses = bodyOf(response).entry.map(
      (entry: { response: { status: string } }) => entry.response.status,
    );
    assert.deepEqual(statuses, ['403 Forbidden', '200 OK']);
  });

  it("refuses an Observation whose only tie to the patient is focus, and reads the patient's own", async () => {
    assert.equal((await send('/Observation/focused')).status, 403);
    assert.equal((await send('/Observation/others')).status, 403);
    assert.equal((await send('/Observation/own')).status, 200);
  });

  const operation = (kind: string) => send(`/Patient/p1/$result?kind=${kind}`);

  it('drops what a searchset operation result may not show, says so, and drops its total', async () => {
    const response = await operation('searchset');
    assert.equal(response.status, 200);
    const body = bodyOf(response);
    assert.deepEqual(
      body.entry.map(
        (entry: { resource: ResourceJson }) => `${entry.resource.resourceType}/${entry.resource.id ?? ''}`,
      ),
      ['Observation/own', 'OperationOutcome/'],
    );
    assert.equal(body.entry[1].search.mode, 'outcome');
    assert.equal(body.entry[1].resource.issue[0].code, 'suppressed');
    assert.match(body.entry[1].resource.issue[0].diagnostics, /^2 entries are left out/);
    assert.equal(body.total, undefined);
  });

  it('drops from a collection too, with the warning as a plain entry', async () => {
    const body = bodyOf(await operation('collection'));
    assert.deepEqual(
      body.entry.map((entry: { resource: ResourceJson }) => entry.resource.id ?? entry.resource.resourceType),
      ['own', 'OperationOutcome'],
    );
    assert.equal(body.entry[1].search, undefined);
  });

  it('refuses results that cannot lose a part: a document, Parameters, a single resource', async () => {
    for (const kind of ['document', 'other-parameters', 'other-observation']) {
      const response = await operation(kind);
      assert.equal(response.status, 403, kind);
      assert.match(
        bodyOf(response).issue[0].diagnostics,
        /in the \$result result is outside what the token may read/,
      );
    }
    for (const kind of ['own-parameters', 'own-observation', 'outcome']) {
      assert.equal((await operation(kind)).status, 200, kind);
    }
  });

  it('leaves a result alone for a caller without patient/ scopes', async () => {
    const admin = { ...P1, scopes: ['system/*.read'] };
    const body = bodyOf(await send('/Patient/p1/$result?kind=searchset', admin));
    assert.equal(body.entry.length, 3);
    assert.equal(body.total, 3);
  });
});

function bundle(type: string, resources: ResourceJson[], total?: number): ResourceJson {
  return {
    resourceType: 'Bundle',
    type,
    ...(total === undefined ? {} : { total }),
    entry: resources.map((resource) => ({
      fullUrl: `http://127.0.0.1/r4/${resource.resourceType}/${resource.id}`,
      resource,
      ...(type === 'searchset' ? { search: { mode: 'match' } } : {}),
    })),
  };
}
