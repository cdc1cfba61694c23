import assert from 'node:assert/strict';
import { type ExampleResource, observation } from './fixtures/search/corpus';
import { PREFIXES, type Prefix, rangeWanted, span } from './fixtures/search/date-oracle';
import { r4Query, SEARCH_BACKENDS, type SearchStore } from './fixtures/search/stores';
import { TABLES } from './fixtures/search/tables';

/**
 * Every prefix on date, number and quantity over small synthetic data, against the wording of
 * https://hl7.org/fhir/R4/search.html#prefix written out here independently of the engine.
 */
/** Precision from the digits written: `100` is ±0.5, `100.00` ±0.005, `1e2` ±50. */
function precision(text: string): number {
  const [mantissa, exponent] = text.toLowerCase().split('e') as [string, string?];
  const decimals = mantissa.includes('.') ? (mantissa.split('.')[1] as string).length : 0;
  return 0.5 * 10 ** (Number(exponent ?? 0) - decimals);
}

function numberWanted(prefix: Prefix, target: number, text: string): boolean {
  const value = Number(text);
  const half = precision(text);
  const equal = target >= value - half - 1e-12 && target < value + half - 1e-12;
  switch (prefix) {
    case 'eq':
      return equal;
    case 'ne':
      return !equal;
    case 'gt':
    case 'sa':
      return target > value;
    case 'lt':
    case 'eb':
      return target < value;
    case 'ge':
      return target >= value;
    case 'le':
      return target <= value;
    case 'ap':
      return Math.abs(target - value) <= Math.abs(value) * 0.1;
  }
}

for (const backend of SEARCH_BACKENDS) {
  describe(`search prefixes against their definitions, on ${backend.name}`, function () {
    this.timeout(60_000);
    let store: SearchStore;
    const birthDates = [
      '2019',
      '2020',
      '2020-03',
      '2020-06',
      '2020-06-14',
      '2020-06-15',
      '2020-06-16',
      '2020-12-31',
      '2021-01-01',
    ];
    const periods: [string, string | undefined][] = [
      ['2020-06-01', '2020-06-30'],
      ['2020-01-01', undefined],
      ['2019-12-01', '2020-06-15'],
    ];
    const probabilities = [0.5, 0.75, 0.8, 0.849, 0.85, 1, 95, 99.6, 100, 100.4, 104, 150];
    const quantities: [number, string][] = [
      [5.35, 'mg'],
      [5.4, 'mg'],
      [5.45, 'mg'],
      [5.4, 'g'],
      [6, 'mg'],
      [100, 'mg'],
    ];

    before(async () => {
      const resources: ExampleResource[] = [];
      for (const [i, birthDate] of birthDates.entries()) {
        resources.push({ resourceType: 'Patient', id: `p${i}`, birthDate });
      }
      for (const [i, [start, end]] of periods.entries()) {
        const effectivePeriod = end ? { start, end } : { start };
        resources.push(observation(`period${i}`, { effectivePeriod }));
      }
      for (const [i, probability] of probabilities.entries()) {
        const prediction = [{ probabilityDecimal: probability }];
        resources.push({
          resourceType: 'RiskAssessment',
          id: `r${i}`,
          status: 'final',
          subject: { reference: 'Patient/p0' },
          prediction,
        });
      }
      for (const [i, [value, code]] of quantities.entries()) {
        const valueQuantity = { value, system: 'http://unitsofmeasure.org', code, unit: code };
        resources.push(observation(`q${i}`, { valueQuantity }));
      }
      store = await backend.open({ r4: TABLES }, resources);
    });
    after(() => store?.close());

    async function found(type: string, query: string): Promise<string[]> {
      const typed = r4Query(type, query, TABLES, 100);
      const page = await store.search(typed, { version: 'r4', tables: TABLES });
      return page.matches.map((r) => r.id).sort();
    }

    for (const prefix of PREFIXES) {
      for (const value of ['2020', '2020-06', '2020-06-15']) {
        it(`date ${prefix}${value} on dates of every precision`, async () => {
          const want = birthDates
            .flatMap((d, i) => (rangeWanted(prefix, span(d), span(value)) ? [`p${i}`] : []))
            .sort();
          assert.deepEqual(await found('Patient', `birthdate=${prefix}${value}`), want);
        });
        it(`date ${prefix}${value} on periods, open-ended ones included`, async () => {
          const want = periods
            .flatMap(([start, end], i) =>
              rangeWanted(prefix, [span(start)[0], end ? span(end)[1] : 8.64e15], span(value))
                ? [`period${i}`]
                : [],
            )
            .sort();
          assert.deepEqual(
            (await found('Observation', `date=${prefix}${value}`)).filter((id) => id.startsWith('period')),
            want,
          );
        });
      }
      for (const value of ['0.8', '100', '1e2', '100.0']) {
        if (!['eq', 'gt', 'lt'].includes(prefix)) continue; // the fixture's probability allows only these
        it(`number ${prefix}${value}`, async () => {
          const want = probabilities
            .flatMap((p, i) => (numberWanted(prefix, p, value) ? [`r${i}`] : []))
            .sort();
          assert.deepEqual(await found('RiskAssessment', `probability=${prefix}${value}`), want);
        });
      }
      it(`quantity ${prefix}5.4 with and without units`, async () => {
        const match = (unitOk: (code: string) => boolean) =>
          quantities
            .flatMap(([v, code], i) => (unitOk(code) && numberWanted(prefix, v, '5.4') ? [`q${i}`] : []))
            .sort();
        const quantityIds = async (query: string) =>
          (await found('Observation', query)).filter((id) => id.startsWith('q'));
        assert.deepEqual(
          await quantityIds(`value-quantity=${prefix}5.4`),
          match(() => true),
        );
        assert.deepEqual(
          await quantityIds(`value-quantity=${prefix}5.4|http://unitsofmeasure.org|mg`),
          match((c) => c === 'mg'),
        );
        assert.deepEqual(
          await quantityIds(`value-quantity=${prefix}5.4||g`),
          match((c) => c === 'g'),
        );
      });
    }
  });
}
