/** Invariant mutant recipes: resources with rules of their own, Timing and Duration, clinical statuses. */
import {
  coded,
  drop,
  firstLinkIds,
  has,
  type Json,
  medication,
  NEW,
  type Recipe,
  timing,
} from './invariants-recipe-kit';

export const RESOURCE_RECIPES: Recipe[] = [
  // Resources with a backbone or a rule of their own
  {
    key: 'app-1',
    base: (p) => p('Appointment', has('participant')),
    mutate: (j) => {
      const first = (j.participant as Json[])[0] as Json;
      (j.participant as Json[])[0] = { status: first.status };
    },
    location: 'Appointment.participant[0]',
  },
  {
    key: 'app-2',
    base: (p) => p('Appointment', (j) => j.start !== undefined && j.end !== undefined),
    mutate: (j) => {
      delete j.end;
      j.status = 'proposed';
    },
    location: 'Appointment',
  },
  {
    key: 'app-3',
    base: (p) => p('Appointment', (j) => j.start !== undefined && j.end !== undefined),
    mutate: (j) => {
      delete j.end;
      delete j.start;
      j.status = 'booked';
    },
    location: 'Appointment',
  },
  {
    key: 'apr-1',
    base: (p) => p('AppointmentResponse'),
    mutate: (j) => {
      delete j.participantType;
      delete j.actor;
    },
    location: 'AppointmentResponse',
  },
  {
    key: 'cmp-1',
    base: (p) => p('Composition'),
    mutate: (j) => {
      j.section = [{ title: 'Empty' }];
    },
    location: 'Composition.section[0]',
  },
  {
    key: 'cmp-2',
    base: (p) => p('Composition'),
    mutate: (j) => {
      j.section = [{ title: 'Both', emptyReason: { text: 'none' }, entry: [{ reference: 'Patient/1' }] }];
    },
    location: 'Composition.section[0]',
  },
  {
    key: 'con-1',
    base: (p) => p('Condition'),
    mutate: (j, v) => {
      const stage = { extension: [{ url: 'http://example.org/x', valueString: 'y' }] };
      j.stage = v === 'r4' ? [stage] : stage;
    },
    location: (v) => (v === 'r4' ? 'Condition.stage[0]' : 'Condition.stage'),
  },
  {
    key: 'con-2',
    base: (p) => p('Condition'),
    mutate: (j) => {
      j.evidence = [{ extension: [{ url: 'http://example.org/x', valueString: 'y' }] }];
    },
    location: 'Condition.evidence[0]',
  },
  {
    key: 'cpl-3',
    base: (p) => p('CarePlan'),
    mutate: (j, v) => {
      j.activity = [
        {
          reference: { reference: 'Appointment/1' },
          detail: v === 'dstu2' ? { prohibited: false } : { status: 'scheduled' },
        },
      ];
    },
    location: 'CarePlan.activity[0]',
  },
  {
    key: 'fhs-1',
    base: (p) => p('FamilyMemberHistory'),
    mutate: (j) => {
      drop(j, 'age');
      drop(j, 'born');
      drop(j, 'estimatedAge');
      j.ageString = 'forties';
      j.bornString = '1960s';
    },
    location: 'FamilyMemberHistory',
  },
  {
    key: 'fhs-2',
    versions: NEW,
    base: (p) => p('FamilyMemberHistory'),
    mutate: (j) => {
      drop(j, 'age');
      j.estimatedAge = true;
    },
    location: 'FamilyMemberHistory',
  },
  {
    key: 'grp-1',
    base: (p) => p('Group'),
    mutate: (j) => {
      j.actual = false;
      j.member = [{ entity: { reference: 'Patient/1' } }];
    },
    location: 'Group',
  },
  {
    key: 'lst-1',
    base: (p) => p('List', has('entry')),
    mutate: (j) => {
      j.emptyReason = { text: 'nothing' };
    },
    location: 'List',
  },
  {
    key: 'lst-2',
    base: (p) => p('List', has('entry')),
    mutate: (j) => {
      j.mode = 'snapshot';
      ((j.entry as Json[])[0] as Json).deleted = true;
    },
    location: 'List',
  },
  {
    key: 'lst-3',
    versions: ['r4'],
    base: (p) => p('List', has('entry')),
    mutate: (j) => {
      j.mode = 'snapshot';
      ((j.entry as Json[])[0] as Json).date = '2020-01-01';
    },
    location: 'List',
  },
  {
    key: 'mdd-1',
    base: (p) => p('MedicationDispense'),
    mutate: (j) => {
      j.whenPrepared = '2020-01-02';
      j.whenHandedOver = '2020-01-01';
    },
    location: 'MedicationDispense',
  },
  {
    key: 'org-1',
    base: (p) => p('Organization'),
    mutate: (j) => {
      delete j.identifier;
      delete j.name;
    },
    location: 'Organization',
  },
  {
    key: 'org-2',
    base: (p) => p('Organization'),
    mutate: (j) => {
      j.address = [{ use: 'home', city: 'Amsterdam' }];
    },
    location: 'Organization.address[0]',
  },
  {
    key: 'org-3',
    base: (p) => p('Organization'),
    mutate: (j) => {
      j.telecom = [{ system: 'phone', value: '555', use: 'home' }];
    },
    location: 'Organization.telecom[0]',
  },
  {
    key: 'que-2',
    base: (p) => p('Questionnaire', (j) => firstLinkIds(j).length > 1),
    mutate: (j) => {
      const [a, b] = firstLinkIds(j);
      (b as Json).linkId = (a as Json).linkId;
    },
    location: 'Questionnaire',
  },
  {
    key: 'inv-1',
    base: (p) => ({ resourceType: 'Parameters', parameter: [{ name: 'subject', resource: p('Patient') }] }),
    mutate: (j) => {
      ((j.parameter as Json[])[0] as Json).valueString = 'both';
    },
    location: 'Parameters.parameter[0]',
  },
  // Timing and Duration, in a medication order's dosage (https://hl7.org/fhir/R4/datatypes.html#Timing)
  {
    key: 'tim-6',
    base: (p, v) => p(medication(v), has('dosageInstruction')),
    mutate: timing({ periodMax: 4 }),
    location: (v) => `${medication(v)}.dosageInstruction[0].timing.repeat`,
  },
  {
    key: 'tim-7',
    base: (p, v) => p(medication(v), has('dosageInstruction')),
    mutate: timing({ durationMax: 4 }),
    location: (v) => `${medication(v)}.dosageInstruction[0].timing.repeat`,
  },
  {
    key: 'tim-1',
    versions: NEW,
    base: (p, v) => p(medication(v), has('dosageInstruction')),
    mutate: timing({ duration: 4 }),
    location: (v) => `${medication(v)}.dosageInstruction[0].timing.repeat`,
  },
  {
    key: 'tim-2',
    versions: NEW,
    base: (p, v) => p(medication(v), has('dosageInstruction')),
    mutate: timing({ period: 4 }),
    location: (v) => `${medication(v)}.dosageInstruction[0].timing.repeat`,
  },
  {
    key: 'tim-4',
    versions: NEW,
    base: (p, v) => p(medication(v), has('dosageInstruction')),
    mutate: timing({ duration: -4, durationUnit: 'h' }),
    location: (v) => `${medication(v)}.dosageInstruction[0].timing.repeat`,
  },
  {
    key: 'tim-5',
    versions: NEW,
    base: (p, v) => p(medication(v), has('dosageInstruction')),
    mutate: timing({ period: -4, periodUnit: 'h' }),
    location: (v) => `${medication(v)}.dosageInstruction[0].timing.repeat`,
  },
  {
    key: 'tim-8',
    versions: ['r4'],
    base: (p, v) => p(medication(v), has('dosageInstruction')),
    mutate: timing({ countMax: 4 }),
    location: (v) => `${medication(v)}.dosageInstruction[0].timing.repeat`,
  },
  {
    key: 'drt-1',
    base: (p, v) => p(medication(v), has('dispenseRequest')),
    mutate: (j) => {
      (j.dispenseRequest as Json).expectedSupplyDuration = {
        value: 3,
        code: 'd',
        system: 'http://example.org/units',
      };
    },
    location: (v) => `${medication(v)}.dispenseRequest.expectedSupplyDuration`,
  },
  {
    key: 'age-1',
    versions: ['r4'],
    base: (p) => p('FamilyMemberHistory'),
    mutate: (j) => {
      drop(j, 'age');
      drop(j, 'born');
      drop(j, 'estimatedAge');
      j.ageAge = { value: 0, system: 'http://unitsofmeasure.org', code: 'a' };
    },
    location: 'FamilyMemberHistory.ageAge',
  },
  // AllergyIntolerance and Condition statuses
  {
    key: 'ait-1',
    versions: NEW,
    base: (p) => p('AllergyIntolerance', has('clinicalStatus')),
    mutate: (j) => {
      delete j.clinicalStatus;
    },
    location: 'AllergyIntolerance',
  },
  {
    key: 'ait-2',
    versions: NEW,
    base: (p) => p('AllergyIntolerance', has('clinicalStatus')),
    mutate: (j, v) => {
      j.verificationStatus =
        v === 'r4'
          ? coded('http://terminology.hl7.org/CodeSystem/allergyintolerance-verification', 'entered-in-error')
          : 'entered-in-error';
    },
    location: 'AllergyIntolerance',
  },
  {
    key: 'con-4',
    versions: ['r4'],
    base: (p) => p('Condition', (j) => JSON.stringify(j.clinicalStatus ?? '').includes('active')),
    mutate: (j) => {
      drop(j, 'abatement');
      j.abatementString = 'in remission';
      j.clinicalStatus = coded('http://terminology.hl7.org/CodeSystem/condition-clinical', 'active');
    },
    location: 'Condition',
  },
  {
    key: 'con-5',
    versions: ['r4'],
    base: (p) => p('Condition', has('clinicalStatus')),
    mutate: (j) => {
      j.verificationStatus = coded(
        'http://terminology.hl7.org/CodeSystem/condition-ver-status',
        'entered-in-error',
      );
    },
    location: 'Condition',
  },
];
