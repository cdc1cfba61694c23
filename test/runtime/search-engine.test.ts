import assert from 'node:assert/strict';
import type { SearchQuery } from '../../src/runtime/contracts';
import { buildSearchBundle } from '../../src/runtime/search/bundle';
import { parseSearch, readQueryPairs } from '../../src/runtime/search/parse';
import { SearchUnsupportedError } from '../../src/runtime/search/sql/match';
import type { SearchTables } from '../../src/runtime/search/table';
import { type CodeAncestors, createTerminology } from '../../src/runtime/search/terminology';
import { type ExampleResource, observation, versionExamples, versionTables } from './fixtures/search/corpus';
import { codings, fold, ids, mostFrequent, ofType, values } from './fixtures/search/oracle';
import { SEARCH_BACKENDS, type SearchStore } from './fixtures/search/stores';

const BASE = 'http://localhost/r4';

for (const backend of SEARCH_BACKENDS) {
  describe(`search engine over the official R4 examples, on ${backend.name}`, function () {
    this.timeout(120_000);
    let tables: SearchTables;
    let examples: ExampleResource[];
    let store: SearchStore;

    before(async () => {
      tables = await versionTables('r4');
      examples = await versionExamples('r4');
      store = await backend.open({ r4: tables }, examples);
    });
    after(() => store?.close());

    function parse(type: string, query: string, lenient = false): SearchQuery {
      const result = parseSearch(type, readQueryPairs(query), {
        version: 'r4',
        tables,
        defaultCount: 1000,
        maxCount: 1000,
        lenient,
      });
      if (!result.ok) assert.fail(JSON.stringify(result.issues));
      return result.query;
    }
    const run = (query: SearchQuery) => store.search(query, { version: 'r4', tables, baseUrl: BASE });
    const matches = async (type: string, query: string) => ids((await run(parse(type, query))).matches);
    const expect = (type: string, keep: (r: ExampleResource) => boolean) =>
      ids(ofType(examples, type).filter(keep));

    async function check(
      type: string,
      query: string,
      keep: (r: ExampleResource) => boolean,
      nonEmpty = true,
    ) {
      const want = expect(type, keep);
      if (nonEmpty) assert.ok(want.length > 0, `the fixture has no ${type} for ${query}`);
      assert.deepEqual(await matches(type, query), want, `${type}?${query}`);
    }

    const observations = () => ofType(examples, 'Observation');
    const has = (resource: unknown, expression: string, test: (value: unknown) => boolean) =>
      values(resource, expression).some(test);

    it('token: code, :not, OR', async () => {
      await check('Patient', 'gender=female', (p) => p.gender === 'female');
      await check('Patient', 'gender:not=female', (p) => p.gender !== 'female');
      await check('Patient', 'gender=male,female', (p) => p.gender === 'male' || p.gender === 'female');
    });

    it('token: system|code on CodeableConcept, and :text', async () => {
      const coding = mostFrequent(
        observations().flatMap((o) => codings(o, 'Observation.code')),
        (c) => `${c.system}|${c.code}`,
      );
      assert.ok(coding?.system && coding.code);
      await check('Observation', `code=${coding.system}|${coding.code}`, (o) =>
        codings(o, 'Observation.code').some((c) => c.system === coding.system && c.code === coding.code),
      );
      await check('Observation', `code=${coding.code}`, (o) =>
        codings(o, 'Observation.code').some((c) => c.code === coding.code),
      );
      await check('Observation', 'code:text=blood', (o) =>
        has(o, 'Observation.code.text | Observation.code.coding.display', (t) =>
          fold(String(t)).startsWith('blood'),
        ),
      );
    });

    it('string: default prefix, :exact, :contains, accents and case folded', async () => {
      const nameParts =
        'Patient.name.family | Patient.name.given | Patient.name.text | Patient.name.prefix | Patient.name.suffix';
      await check('Patient', 'name=pet', (p) => has(p, nameParts, (v) => fold(String(v)).startsWith('pet')));
      await check('Patient', 'name:exact=Peter', (p) => has(p, nameParts, (v) => v === 'Peter'));
      await check('Patient', 'name:contains=ete', (p) =>
        has(p, nameParts, (v) => fold(String(v)).includes('ete')),
      );
    });

    it('date: AND of ge and lt, and :missing', async () => {
      const year = (p: ExampleResource) => Number(String(p.birthDate ?? '').slice(0, 4));
      await check(
        'Patient',
        'birthdate=ge1950&birthdate=lt1980',
        (p) => typeof p.birthDate === 'string' && year(p) >= 1950 && year(p) < 1980,
      );
      await check('Patient', 'birthdate:missing=true', (p) => p.birthDate === undefined);
      await check('Patient', 'birthdate:missing=false', (p) => p.birthDate !== undefined);
    });

    it('date: eq on a year against dateTime and Period values', async () => {
      const years = observations().flatMap((o) =>
        values(o, 'Observation.effective').map((v) => String(typeof v === 'string' ? v : '').slice(0, 4)),
      );
      const year = mostFrequent(
        years.filter((y) => y !== ''),
        (y) => y,
      ) as string;
      await check('Observation', `date=${year}`, (o) => {
        const effective = values(o, 'Observation.effective') as unknown[];
        if (effective.length === 0) return false;
        return effective.some((v) => {
          if (typeof v === 'string') return v.slice(0, 4) === year;
          const period = v as { start?: string; end?: string };
          return period.start?.slice(0, 4) === year && period.end?.slice(0, 4) === year;
        });
      });
    });

    it('quantity: prefixes, with and without units', async () => {
      const value = (o: ExampleResource) =>
        o.valueQuantity as { value?: number; code?: string; system?: string } | undefined;
      await check('Observation', 'value-quantity=gt100', (o) => (value(o)?.value ?? -Infinity) > 100);
      await check('Observation', 'value-quantity=le5', (o) => (value(o)?.value ?? Infinity) <= 5);
      const unit = mostFrequent(
        observations()
          .map(value)
          .filter((q) => q?.code && q.system),
        (q) => `${q?.system}|${q?.code}`,
      );
      await check('Observation', `value-quantity=ge0|${unit?.system}|${unit?.code}`, (o) => {
        const q = value(o);
        return q?.value !== undefined && q.value >= 0 && q.system === unit?.system && q.code === unit?.code;
      });
    });

    it('reference: Type/id, bare id, :Type and :identifier-free paths', async () => {
      await check(
        'Observation',
        'subject=Patient/example',
        (o) => (o.subject as { reference?: string })?.reference === 'Patient/example',
      );
      await check(
        'Observation',
        'subject:Patient=example',
        (o) => (o.subject as { reference?: string })?.reference === 'Patient/example',
      );
      await check(
        'Observation',
        'patient=example',
        (o) => (o.subject as { reference?: string })?.reference === 'Patient/example',
      );
    });

    it('composite: code and value of the same component', async () => {
      await check('Observation', 'component-code-value-quantity=http://loinc.org|8480-6$gt100', (o) =>
        (values(o, 'Observation.component') as { code?: unknown; valueQuantity?: { value?: number } }[]).some(
          (c) =>
            codings(c, 'code').some((x) => x.system === 'http://loinc.org' && x.code === '8480-6') &&
            (c.valueQuantity?.value ?? 0) > 100,
        ),
      );
    });

    it('chained and reverse-chained parameters', async () => {
      const byRef = new Map(examples.map((r) => [`${r.resourceType}/${r.id}`, r]));
      await check(
        'Observation',
        'subject:Patient.gender=male',
        (o) => byRef.get(String((o.subject as { reference?: string })?.reference))?.gender === 'male',
      );
      const coding = mostFrequent(
        observations().flatMap((o) => codings(o, 'Observation.code')),
        (c) => `${c.system}|${c.code}`,
      );
      await check('Patient', `_has:Observation:patient:code=${coding?.code}`, (p) =>
        observations().some(
          (o) =>
            (o.subject as { reference?: string })?.reference === `Patient/${p.id}` &&
            codings(o, 'Observation.code').some((c) => c.code === coding?.code),
        ),
      );
    });

    it('_include, _revinclude and :iterate', async () => {
      const exists = new Set(examples.map((r) => `${r.resourceType}/${r.id}`));
      const page = await run(parse('Observation', 'subject=Patient/example&_include=Observation:subject'));
      assert.deepEqual(ids(page.includes), ['Patient/example']);

      const rev = await run(parse('Patient', '_id=example&_revinclude=Observation:subject'));
      assert.deepEqual(ids(rev.matches), ['Patient/example']);
      assert.deepEqual(
        ids(rev.includes),
        expect('Observation', (o) => (o.subject as { reference?: string })?.reference === 'Patient/example'),
      );

      const withOrg = observations().find((o) => {
        const patient = examples.find(
          (r) => `Patient/${r.id}` === (o.subject as { reference?: string })?.reference,
        );
        const org = (patient?.managingOrganization as { reference?: string } | undefined)?.reference;
        return org !== undefined && exists.has(org);
      });
      assert.ok(withOrg, 'the fixture has an observation whose patient has an organization');
      const patientRef = (withOrg.subject as { reference: string }).reference;
      const patient = examples.find((r) => `Patient/${r.id}` === patientRef) as ExampleResource;
      const orgRef = (patient.managingOrganization as { reference: string }).reference;
      const iterated = await run(
        parse(
          'Observation',
          `_id=${withOrg.id}&_include=Observation:subject&_include:iterate=Patient:organization`,
        ),
      );
      assert.deepEqual(ids(iterated.includes), [patientRef, orgRef].sort());
      const once = await run(
        parse('Observation', `_id=${withOrg.id}&_include=Observation:subject&_include=Observation:performer`),
      );
      assert.ok(
        !ids(once.includes).includes(orgRef) ||
          ((withOrg.performer as { reference?: string }[] | undefined) ?? []).some(
            (p) => p.reference === orgRef,
          ),
      );
    });

    it('_sort ascending and descending', async () => {
      const dates = (page: { matches: ExampleResource[] }) =>
        page.matches.map((p) => p.birthDate as string | undefined);
      const asc = dates((await run(parse('Patient', '_sort=birthdate'))) as never);
      const present = asc.filter((d): d is string => d !== undefined);
      assert.deepEqual(present, [...present].sort());
      assert.ok(
        asc.slice(present.length).every((d) => d === undefined),
        'missing values sort last',
      );
      const desc = dates((await run(parse('Patient', '_sort=-birthdate'))) as never).filter(
        (d): d is string => d !== undefined,
      );
      assert.deepEqual(desc, [...desc].sort().reverse());
    });

    it('pages through every match with no duplicates or gaps, forwards and back, while data changes', async () => {
      const all = ids(observations());
      const seen: string[] = [];
      const pages: string[][] = [];
      let query = parse('Observation', '_count=7&_sort=date');
      let added = 0;
      for (let guard = 0; guard < 100; guard++) {
        const page = await run(query);
        pages.push(ids(page.matches));
        seen.push(...page.matches.map((o) => `Observation/${o.id}`));
        if (guard === 1) {
          // A new observation sorting before the cursor must not shift the following pages.
          await store.create(observation('zz-new', { effectiveDateTime: '1900-01-01' }));
          added++;
        }
        if (!page.next) break;
        const bundle = buildSearchBundle(query, page, { version: 'r4', baseUrl: BASE });
        const next = (bundle.link as { relation: string; url: string }[]).find((l) => l.relation === 'next')
          ?.url as string;
        query = parse('Observation', next.slice(next.indexOf('?')));
      }
      assert.equal(added, 1);
      assert.equal(new Set(seen).size, seen.length, 'no duplicates');
      assert.deepEqual([...seen].sort(), all, 'no gaps');
      await store.delete('Observation', 'zz-new');

      const firstPage = await run(parse('Observation', '_count=7&_sort=date'));
      const second = await run({ ...parse('Observation', '_count=7&_sort=date'), cursor: firstPage.next });
      const back = await run({ ...parse('Observation', '_count=7&_sort=date'), cursor: second.previous });
      assert.deepEqual(ids(back.matches), ids(firstPage.matches));
      assert.equal(back.previous, undefined);
    });

    it('_summary=count and _total', async () => {
      const page = await run(parse('Patient', 'gender=female&_summary=count'));
      assert.deepEqual(
        [page.total, page.matches.length],
        [expect('Patient', (p) => p.gender === 'female').length, 0],
      );
      assert.equal((await run(parse('Patient', 'gender=female&_total=none'))).total, undefined);
    });

    it('builds the searchset Bundle: total, links, modes, fullUrl, _elements, lenient outcome', async () => {
      const query = parse(
        'Observation',
        'subject=Patient/example&_include=Observation:subject&_elements=status&_count=2&nonsense=1',
        true,
      );
      const page = await run(query);
      const bundle = buildSearchBundle(query, page, { version: 'r4', baseUrl: BASE });
      const want = expect(
        'Observation',
        (o) => (o.subject as { reference?: string })?.reference === 'Patient/example',
      );
      assert.equal(bundle.total, want.length);
      const links = Object.fromEntries(
        (bundle.link as { relation: string; url: string }[]).map((l) => [l.relation, l.url]),
      );
      assert.equal(
        links.self,
        `${BASE}/Observation?subject=Patient/example&_include=Observation:subject&_elements=status&_count=2`,
      );
      assert.equal(links.first, links.self);
      assert.ok(links.next?.includes('_cursor='));
      const entries = bundle.entry as {
        fullUrl?: string;
        resource: Record<string, unknown>;
        search: { mode: string };
      }[];
      assert.deepEqual(
        entries.map((e) => e.search.mode),
        ['match', 'match', 'include', 'outcome'],
      );
      const first = entries[0] as (typeof entries)[number];
      assert.equal(first.fullUrl, `${BASE}/Observation/${first.resource.id}`);
      assert.deepEqual(Object.keys(first.resource).sort(), ['id', 'meta', 'resourceType', 'status']);
      assert.ok(JSON.stringify(first.resource.meta).includes('SUBSETTED'));
      assert.match(JSON.stringify(entries[3]?.resource), /nonsense ignored/);
    });

    it('binds every value: SQL in a parameter is only data', async () => {
      assert.deepEqual(await matches('Patient', "name=x'); DROP TABLE resources; --"), []);
      assert.deepEqual(await matches('Patient', 'name=%25'), []);
      assert.ok((await matches('Patient', 'gender=male')).length > 0, 'the resources table is intact');
    });

    it('token :in and :not-in: by the system and code of the ValueSet members', async () => {
      const generated = require('../../generated/r4/server/value-sets.json') as Record<string, string[]>;
      const categories = 'http://hl7.org/fhir/ValueSet/observation-category';
      const vitals = 'http://example.org/fhir/ValueSet/vitals-only';
      const sets: Record<string, string[]> = {
        [categories]: generated[categories] ?? [],
        // The same code in another system is not a member.
        [vitals]: [
          'http://terminology.hl7.org/CodeSystem/observation-category|vital-signs',
          'http://example.org/other|laboratory',
        ],
      };
      assert.ok((sets[categories] as string[]).length >= 9, 'the R4 categories are listed');
      const options = { version: 'r4' as const, tables, baseUrl: BASE, valueSet: (url: string) => sets[url] };
      const search = async (query: string) =>
        ids((await store.search(parse('Observation', query), options)).matches);
      const inSet = (url: string) => (o: ExampleResource) =>
        codings(o, 'Observation.category').some((c) =>
          (sets[url] as string[]).includes(`${c.system}|${c.code}`),
        );
      for (const url of [categories, vitals]) {
        const want = expect('Observation', inSet(url));
        assert.ok(want.length > 0, `no Observation in ${url}`);
        assert.deepEqual(await search(`category:in=${url}`), want, `:in ${url}`);
        assert.deepEqual(
          await search(`category:not-in=${url}`),
          expect('Observation', (o) => !inSet(url)(o)),
          `:not-in ${url}`,
        );
      }
      assert.ok(
        expect('Observation', inSet(vitals)).length < expect('Observation', inSet(categories)).length,
      );
      // OR of two ValueSets; a version suffix on the URL is ignored.
      assert.deepEqual(
        await search(`category:in=${vitals}|1.0,${categories}`),
        expect('Observation', inSet(categories)),
      );
      // A plain `code` element has no system in its rows: the code decides.
      const genders = { ...options, valueSet: () => ['http://hl7.org/fhir/administrative-gender|female'] };
      const female = ids(
        (await store.search(parse('Patient', 'gender:in=http://x.org/vs'), genders)).matches,
      );
      assert.deepEqual(
        female,
        expect('Patient', (p) => p.gender === 'female'),
      );
      await assert.rejects(
        () => store.search(parse('Observation', 'category:in=http://example.org/unknown'), options),
        (error: unknown) =>
          error instanceof SearchUnsupportedError && /not one this server can expand/.test(error.message),
      );
    });

    it('token :below and :above: by the code system hierarchies of the version', async () => {
      const codeSystems = require('../../generated/r4/server/code-systems.json') as CodeAncestors;
      const terminology = createTerminology({ codeSystems });
      const options = { version: 'r4' as const, tables, baseUrl: BASE, subsumed: terminology.subsumed };
      const search = async (type: string, query: string) =>
        ids((await store.search(parse(type, query), options)).matches);
      const actCode = 'http://terminology.hl7.org/CodeSystem/v3-ActCode';
      const below = (code: string) =>
        new Set([
          code,
          ...Object.keys(codeSystems[actCode] ?? {}).filter((c) => codeSystems[actCode]?.[c]?.includes(code)),
        ]);
      const classOf = (e: ExampleResource) =>
        values(e, 'Encounter.class') as { system?: string; code?: string }[];
      const encounters = below('_ActEncounterCode');
      assert.ok(
        encounters.has('AMB') && encounters.has('IMP') && !encounters.has('_ActEncounterCode') === false,
      );
      const want = expect('Encounter', (e) =>
        classOf(e).some((c) => c.system === actCode && encounters.has(c.code ?? '')),
      );
      assert.ok(want.length > 1, 'the fixture has encounters of several classes');
      assert.deepEqual(await search('Encounter', `class:below=${actCode}|_ActEncounterCode`), want);
      assert.deepEqual(
        await search('Encounter', `class:below=${actCode}|IMP`),
        expect('Encounter', (e) => classOf(e).some((c) => c.code === 'IMP')),
      );
      // A plain code (Observation.status) without a system: `corrected` is below `amended`.
      const made = ['amended', 'corrected'].map((status) => ({
        resourceType: 'Observation',
        id: `subsumption-${status}`,
        status,
        code: { text: 'subsumption' },
      }));
      for (const resource of made) await store.create(resource as ExampleResource);
      try {
        const only = '_id=subsumption-amended,subsumption-corrected';
        assert.deepEqual(await search('Observation', `status:below=amended&${only}`), [
          'Observation/subsumption-amended',
          'Observation/subsumption-corrected',
        ]);
        assert.deepEqual(await search('Observation', `status:above=corrected&${only}`), [
          'Observation/subsumption-amended',
          'Observation/subsumption-corrected',
        ]);
        assert.deepEqual(await search('Observation', `status:above=amended&${only}`), [
          'Observation/subsumption-amended',
        ]);
      } finally {
        for (const resource of made) await store.delete(resource.resourceType, resource.id);
      }
      // A code system without a hierarchy subsumes only the code itself.
      await check(
        'Patient',
        'gender:below=http://hl7.org/fhir/administrative-gender|female',
        (p) => p.gender === 'female',
      );
    });

    it('_content and _text: every word, in any string value or in the narrative, case-insensitively', async () => {
      const strings = (value: unknown): string[] =>
        typeof value === 'string'
          ? [value]
          : typeof value === 'object' && value !== null
            ? Object.values(value).flatMap(strings)
            : [];
      const inContent = (r: ExampleResource, words: string[]) =>
        words.every((word) => strings(r).some((text) => text.toLowerCase().includes(word)));
      const narrative = (r: ExampleResource) =>
        ((r as { text?: { div?: string } }).text?.div ?? '').toLowerCase();
      await check('Patient', '_content=chalmers', (p) => inContent(p, ['chalmers']));
      await check('Patient', '_content=PETER chalmers', (p) => inContent(p, ['peter', 'chalmers']));
      await check(
        'Patient',
        '_content=chalmers,donald',
        (p) => inContent(p, ['chalmers']) || inContent(p, ['donald']),
      );
      await check('Observation', '_text=glucose', (o) => narrative(o).includes('glucose'));
      // Property names are not content: every Patient has a `resourceType`, none says so in a value.
      assert.deepEqual(await matches('Patient', '_content=resourcetype'), []);
    });

    it('refuses what it cannot answer, naming the parameter', async () => {
      await assert.rejects(
        () => run(parse('Observation', 'code:in=http://hl7.org/fhir/ValueSet/x')),
        (error: unknown) => {
          return error instanceof SearchUnsupportedError && error.param === 'code';
        },
      );
    });
  });
}

for (const [version, backend] of (['stu3', 'dstu2'] as const).flatMap((v) =>
  SEARCH_BACKENDS.map((b) => [v, b] as const),
)) {
  describe(`search engine over the official ${version} examples, on ${backend.name}`, function () {
    this.timeout(120_000);
    it('answers token, reference and include searches', async () => {
      const tables = await versionTables(version);
      const examples = await versionExamples(version);
      const store = await backend.open({ [version]: tables }, examples);
      try {
        const run = (type: string, text: string) => {
          const parsed = parseSearch(type, readQueryPairs(text), {
            version,
            tables,
            defaultCount: 1000,
            maxCount: 1000,
            lenient: false,
          });
          if (!parsed.ok) assert.fail(JSON.stringify(parsed.issues));
          return store.search(parsed.query, { version, tables });
        };
        const female = ids(ofType(examples, 'Patient').filter((p) => p.gender === 'female'));
        assert.ok(female.length > 0);
        assert.deepEqual(ids((await run('Patient', 'gender=female')).matches), female);
        const subjectOf = (o: ExampleResource) =>
          (o.subject as { reference?: string } | undefined)?.reference;
        const ref = mostFrequent(
          ofType(examples, 'Observation')
            .map(subjectOf)
            .filter((r): r is string => r?.startsWith('Patient/') ?? false),
          (r) => r,
        ) as string;
        const page = await run('Observation', `subject=${ref}&_include=Observation:subject`);
        assert.deepEqual(
          ids(page.matches),
          ids(ofType(examples, 'Observation').filter((o) => subjectOf(o) === ref)),
        );
        assert.deepEqual(
          ids(page.includes),
          examples.some((r) => `${r.resourceType}/${r.id}` === ref) ? [ref] : [],
        );
        // The composite DSTU2 calls code-value-[x] (code-value-quantity); STU3 defines it itself.
        const quantityOf = (o: ExampleResource) => (o.valueQuantity as { value?: number } | undefined)?.value;
        const coded = ofType(examples, 'Observation').find(
          (o) => codings(o, 'Observation.code').length > 0 && quantityOf(o) !== undefined,
        );
        const code = codings(coded, 'Observation.code')[0]?.code as string;
        const want = ofType(examples, 'Observation').filter(
          (o) => codings(o, 'Observation.code').some((c) => c.code === code) && (quantityOf(o) ?? -1) >= 0,
        );
        assert.ok(want.length > 0);
        assert.deepEqual(
          ids((await run('Observation', `code-value-quantity=${code}$ge0`)).matches),
          ids(want),
        );
      } finally {
        await store.close();
      }
    });
  });
}
