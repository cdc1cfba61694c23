/**
 * History at instance, type and system level (https://hl7.org/fhir/R4/http.html#history): a Bundle
 * of type `history`, newest first, each entry with its request and response; deletions have no
 * resource.
 */
import { FhirHttpError } from '../outcome';
import type { HistoryEntry, HistoryOptions } from '../service';
import { castEntry } from './cast';
import { type Call, serviceMethod } from './settings';
import type { FhirResponse } from './types';

const DEFAULT_COUNT = 100;
const MAX_COUNT = 1000;

export async function history(call: Call): Promise<FhirResponse> {
  const options = historyOptions(call.request.query);
  const { resourceType, id } = call.route;
  let entries: { entry: HistoryEntry; label: string }[];
  if (resourceType === undefined) entries = await systemHistory(call, options);
  else {
    const { fn, label } = serviceMethod(call, resourceType, 'history');
    const found = await fn(id === undefined ? options : { ...options, id }, call.ctx);
    if (id !== undefined && found.length === 0)
      throw new FhirHttpError(404, `${resourceType}/${id} is not known`);
    entries = found.map((entry) => ({ entry, label }));
  }
  const base = call.request.baseUrl;
  const bundleEntries = entries.slice(0, options.count).map(({ entry, label }) => {
    const url = `${entry.resourceType}/${entry.id}`;
    const item: Record<string, unknown> = { fullUrl: `${base}/${url}` };
    if (entry.resource !== undefined) {
      // A version invalid in this FHIR version keeps its entry (the history happened) without the resource.
      const cast = castEntry(call.settings.cast, entry.resource, entry.resourceType, label);
      if (cast !== undefined) item.resource = cast.resource;
    }
    item.request = { method: entry.method, url: entry.method === 'POST' ? entry.resourceType : url };
    item.response = {
      status:
        entry.method === 'POST' ? '201 Created' : entry.method === 'DELETE' ? '204 No Content' : '200 OK',
      etag: `W/"${entry.versionId}"`,
      lastModified: entry.lastUpdated,
    };
    return item;
  });
  return {
    status: 200,
    headers: {},
    body:
      bundleEntries.length === 0
        ? { resourceType: 'Bundle', type: 'history', total: 0 }
        : { resourceType: 'Bundle', type: 'history', total: bundleEntries.length, entry: bundleEntries },
  };
}

/** Every type whose service has history, merged newest first. */
async function systemHistory(call: Call, options: HistoryOptions) {
  const merged: { entry: HistoryEntry; label: string }[] = [];
  for (const [resourceType, service] of Object.entries(call.settings.services)) {
    if (service.history === undefined) continue;
    const { fn, label } = serviceMethod(call, resourceType, 'history');
    for (const entry of await fn(options, call.ctx)) merged.push({ entry, label });
  }
  return merged.sort((a, b) =>
    a.entry.lastUpdated < b.entry.lastUpdated ? 1 : a.entry.lastUpdated > b.entry.lastUpdated ? -1 : 0,
  );
}

function historyOptions(query: [string, string][]): HistoryOptions & { count: number } {
  const options: HistoryOptions & { count: number } = { count: DEFAULT_COUNT };
  for (const [name, value] of query) {
    if (name === '_count') {
      if (!/^[1-9][0-9]*$/.test(value))
        throw new FhirHttpError(400, `_count=${value} is not a positive number`);
      options.count = Math.min(Number(value), MAX_COUNT);
    } else if (name === '_since') {
      if (Number.isNaN(Date.parse(value))) throw new FhirHttpError(400, `_since=${value} is not an instant`);
      options.since = new Date(value).toISOString();
    }
  }
  return options;
}
