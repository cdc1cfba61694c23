import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  type CompartmentParam,
  inPatientCompartment,
  isPatientReference,
  pathsOfExpression,
} from '../../src/runtime/security/compartment';
import { accessFor, type Interaction, isAllowed, parseScope } from '../../src/runtime/security/scopes';
import { canSee, splitVisible } from '../../src/runtime/security/visibility';

/** SMART scopes v1 and v2 against interactions, and the patient compartment check. */
const ALL: Interaction[] = [
  'create',
  'read',
  'vread',
  'history-instance',
  'update',
  'patch',
  'delete',
  'search-type',
  'history-type',
];
const LETTER: Record<Interaction, string> = {
  create: 'c',
  read: 'r',
  vread: 'r',
  'history-instance': 'r',
  update: 'u',
  patch: 'u',
  delete: 'd',
  'search-type': 's',
  'history-type': 's',
};

function allowedSet(scopes: string[], type: string): Interaction[] {
  return ALL.filter((interaction) => isAllowed(scopes, interaction, type));
}

describe('SMART scopes v1', () => {
  const cases: [string, Interaction[]][] = [
    ['patient/Observation.read', ['read', 'vread', 'history-instance', 'search-type', 'history-type']],
    ['user/Observation.write', ['create', 'update', 'patch', 'delete']],
    ['system/Observation.*', ALL],
    ['user/*.*', ALL],
    ['system/*.write', ['create', 'update', 'patch', 'delete']],
    ['user/*.read', ['read', 'vread', 'history-instance', 'search-type', 'history-type']],
  ];
  for (const [scope, want] of cases) {
    it(`${scope} allows ${want.join(', ')} on Observation`, () => {
      assert.deepEqual(allowedSet([scope], 'Observation'), want);
    });
  }

  it('a type-specific scope allows nothing on another type', () => {
    assert.deepEqual(allowedSet(['user/Observation.*'], 'Patient'), []);
    assert.deepEqual(allowedSet(['user/Observation.*'], 'ObservationDefinition'), []);
  });
});

describe('SMART scopes v2', () => {
  const cases: [string, Interaction[]][] = [
    ['patient/Observation.rs', ['read', 'vread', 'history-instance', 'search-type', 'history-type']],
    ['user/Observation.c', ['create']],
    ['user/Observation.cu', ['create', 'update', 'patch']],
    ['system/Observation.cruds', ALL],
    ['user/*.d', ['delete']],
    ['user/Observation.s', ['search-type', 'history-type']],
  ];
  for (const [scope, want] of cases) {
    it(`${scope} allows ${want.join(', ')}`, () => {
      assert.deepEqual(allowedSet([scope], 'Observation'), want);
    });
  }

  it('refuses letters out of order, repeated, unknown, or empty', () => {
    for (const scope of [
      'user/Observation.sr',
      'user/Observation.rr',
      'user/Observation.x',
      'user/Observation.',
      'user/Observation.rsx',
      'user/Observation.dc',
    ]) {
      assert.equal(parseScope(scope), undefined, scope);
      assert.deepEqual(allowedSet([scope], 'Observation'), [], scope);
    }
  });

  it('grants nothing for scopes it cannot enforce or that are not resource scopes', () => {
    for (const scope of [
      'user/Observation.rs?category=laboratory',
      'openid',
      'launch/patient',
      'admin/*.*',
      'user/observation.rs',
      'user/Observation',
      '',
    ]) {
      assert.deepEqual(allowedSet([scope], 'Observation'), [], scope);
    }
  });

  it('every ordered subset of cruds allows exactly its letters (property)', () => {
    const subsets = fc.subarray(['c', 'r', 'u', 'd', 's']).filter((letters) => letters.length > 0);
    fc.assert(
      fc.property(subsets, fc.constantFrom('patient', 'user', 'system'), (letters, context) => {
        const scope = `${context}/Observation.${letters.join('')}`;
        for (const interaction of ALL) {
          assert.equal(
            isAllowed([scope], interaction, 'Observation'),
            letters.includes(LETTER[interaction]),
            `${scope} ${interaction}`,
          );
        }
      }),
    );
  });

  it('v1 read equals v2 rs and v1 write equals v2 cud (property over interactions and types)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...ALL),
        fc.constantFrom('Observation', 'Patient', '*'),
        (interaction, type) => {
          const target = type === '*' ? 'Encounter' : type;
          assert.equal(
            isAllowed([`user/${type}.read`], interaction, target),
            isAllowed([`user/${type}.rs`], interaction, target),
          );
          assert.equal(
            isAllowed([`user/${type}.write`], interaction, target),
            isAllowed([`user/${type}.cud`], interaction, target),
          );
        },
      ),
    );
  });
});

describe('access level', () => {
  it('is patient when only patient/ scopes allow, full as soon as a user/ or system/ scope does', () => {
    assert.equal(accessFor(['patient/Observation.rs'], 'read', 'Observation'), 'patient');
    assert.equal(accessFor(['patient/Observation.rs', 'user/Observation.r'], 'read', 'Observation'), 'full');
    assert.equal(accessFor(['patient/*.rs', 'system/Observation.s'], 'read', 'Observation'), 'patient');
    assert.equal(accessFor(['patient/*.rs', 'system/Observation.s'], 'search-type', 'Observation'), 'full');
    assert.equal(accessFor([], 'read', 'Observation'), 'none');
  });
});

describe('patient compartment', () => {
  const observation = {
    resourceType: 'Observation',
    id: 'o1',
    subject: { reference: 'Patient/p1' },
    performer: [
      { reference: 'Practitioner/d1' },
      { reference: 'https://fhir.example.test/r4/Patient/p3' },
      { reference: 'https://elsewhere.example/fhir/Patient/p4' },
    ],
  };
  const params = [
    { name: 'subject', paths: ['subject'] },
    { name: 'performer', paths: ['performer'] },
  ];

  it("holds a resource whose params reference the patient, and not another patient's", () => {
    const local = ['https://fhir.example.test/r4/'];
    assert.equal(inPatientCompartment(observation, 'p1', params), true);
    assert.equal(inPatientCompartment(observation, 'p3', params, local), true);
    assert.equal(inPatientCompartment(observation, 'p3', params), false);
    assert.equal(inPatientCompartment(observation, 'p4', params, local), false);
    assert.equal(inPatientCompartment(observation, 'p2', params), false);
    assert.equal(inPatientCompartment(observation, 'd1', params), false);
  });

  it('only looks at the params of the compartment definition', () => {
    const local = ['https://fhir.example.test/r4'];
    assert.equal(
      inPatientCompartment(observation, 'p3', [{ name: 'subject', paths: ['subject'] }], local),
      false,
    );
  });

  it('holds the Patient resource itself, not another Patient', () => {
    assert.equal(inPatientCompartment({ resourceType: 'Patient', id: 'p1' }, 'p1', []), true);
    assert.equal(inPatientCompartment({ resourceType: 'Patient', id: 'p2' }, 'p1', []), false);
  });

  it('walks nested arrays and choice elements', () => {
    const encounter = {
      resourceType: 'Encounter',
      participant: [
        { individual: { reference: 'Practitioner/x' } },
        { individual: { reference: 'Patient/p1' } },
      ],
    };
    assert.equal(
      inPatientCompartment(encounter, 'p1', [{ name: 'participant', paths: ['participant.individual'] }]),
      true,
    );
    const choice = {
      resourceType: 'Observation',
      focusReference: { reference: 'Patient/p1' },
      valueReference: { reference: 'Patient/p9' },
    };
    assert.equal(inPatientCompartment(choice, 'p9', [{ name: 'value', paths: ['value[x]'] }]), true);
    assert.equal(inPatientCompartment(choice, 'p1', [{ name: 'value', paths: ['value[x]'] }]), false);
  });

  it('ignores inherited properties and non-reference values', () => {
    const tricky = JSON.parse(
      '{"resourceType":"Observation","subject":"Patient/p1","__proto__":{"performer":{"reference":"Patient/p1"}}}',
    );
    assert.equal(inPatientCompartment(tricky, 'p1', params), false);
  });

  it('matches references with or without a version, and never a prefix of another id', () => {
    assert.equal(isPatientReference('Patient/p1/_history/3', 'p1'), true);
    assert.equal(isPatientReference('Patient/p10', 'p1'), false);
    assert.equal(isPatientReference('Group/Patient/p1x', 'p1'), false);
  });

  it('reads element paths out of search parameter expressions', () => {
    assert.deepEqual(
      pathsOfExpression(
        'Observation.subject.where(resolve() is Patient) | Observation.performer',
        'Observation',
      ),
      ['subject', 'performer'],
    );
    assert.deepEqual(
      pathsOfExpression('(Encounter.participant.individual as Reference) | Encounter.subject', 'Encounter'),
      ['participant.individual', 'subject'],
    );
    assert.deepEqual(pathsOfExpression('Patient.link.other', 'Observation'), []);
  });
});

describe('visibility of search results, _include results and entry results', () => {
  const params: Record<string, CompartmentParam[]> = {
    Observation: [
      { name: 'subject', paths: ['subject'] },
      { name: 'performer', paths: ['performer'] },
    ],
    Encounter: [{ name: 'patient', paths: ['subject'] }],
  };
  const options = { compartmentParams: (type: string) => params[type] };
  const principal = (scopes: string[], patient?: string) => ({
    subject: 's',
    clientId: 'c',
    scopes,
    tokenId: 't',
    ...(patient ? { patient } : {}),
  });
  const results = [
    { resourceType: 'Observation', id: 'o1', subject: { reference: 'Patient/p1' } },
    { resourceType: 'Observation', id: 'o2', subject: { reference: 'Patient/p2' } },
    { resourceType: 'Patient', id: 'p1' },
    { resourceType: 'Patient', id: 'p2' },
    { resourceType: 'Practitioner', id: 'd1' },
    { resourceType: 'Encounter', id: 'e1', subject: { reference: 'Patient/p1' } },
  ];
  const ids = (list: { id?: unknown }[]) => list.map((r) => r.id);

  it("hides another patient's resources and types the patient scopes do not cover", () => {
    const { visible, hidden } = splitVisible(
      principal(['patient/Observation.rs', 'patient/Patient.r'], 'p1'),
      results,
      options,
    );
    assert.deepEqual(ids(visible), ['o1', 'p1']);
    assert.deepEqual(ids(hidden), ['o2', 'p2', 'd1', 'e1']);
  });

  it('shows everything of the types a user/ scope covers, and only those', () => {
    const { visible } = splitVisible(
      principal(['user/Observation.rs', 'user/Practitioner.r']),
      results,
      options,
    );
    assert.deepEqual(ids(visible), ['o1', 'o2', 'd1']);
  });

  it('shows nothing under patient/ scopes without a patient in context', () => {
    assert.deepEqual(splitVisible(principal(['patient/*.rs']), results, options).visible, []);
  });

  it('hides what has no resourceType', () => {
    assert.equal(canSee(principal(['user/*.*']), { id: 'x' }, options), false);
  });
});
