// Reading calicoctl v1 input: JSON, one YAML resource, a YAML list of
// resources, multi-document YAML, and `kind: <kind>List` documents with items.
// Every resource is validated before anything is returned, so a caller that
// writes only after parseResources returns rejects a bad file whole.
import yaml from 'js-yaml';
import { fieldPath, InputSyntaxError, invalid, missing, UnknownKindError, ValidationError } from './errors.js';
import { checkKeys, isPlainObject, own, present, readList } from './read.js';
import type { Resource, ResourceKind } from './types.js';
import { API_VERSION, validateResource } from './validation.js';

const LIST_KINDS: Record<string, ResourceKind> = {
  profileList: 'profile',
  policyList: 'policy',
  workloadEndpointList: 'workloadEndpoint',
  hostEndpointList: 'hostEndpoint',
};

/** Documents of the text: JSON if it parses as JSON, else YAML (core schema: no dates, no merge keys). */
function loadDocuments(text: string): unknown[] {
  const trimmed = text.trimStart();
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
    try {
      return [JSON.parse(text)];
    } catch {
      // Not JSON: YAML flow style also starts this way; let the YAML parser decide.
    }
  }
  try {
    return yaml.loadAll(text, undefined, { schema: yaml.CORE_SCHEMA });
  } catch (e) {
    if (e instanceof yaml.YAMLException) {
      const line = e.mark ? e.mark.line + 1 : undefined;
      const column = e.mark ? e.mark.column + 1 : undefined;
      const at = line !== undefined ? ` (line ${line}, column ${column})` : '';
      throw new InputSyntaxError(`input is not valid YAML or JSON: ${e.reason}${at}`, line, column);
    }
    throw e;
  }
}

/** Resource documents of the input, lists flattened, each with where it came from. */
function resourceDocuments(docs: unknown[]): { raw: unknown; where: string }[] {
  const out: { raw: unknown; where: string }[] = [];
  const multi = docs.filter((d) => d !== null && d !== undefined).length > 1;
  let docNo = 0;
  for (const doc of docs) {
    docNo++;
    if (doc === null || doc === undefined) continue; // empty document (e.g. a trailing ---)
    const docWhere = multi ? `document ${docNo}` : 'the input';
    if (Array.isArray(doc)) {
      doc.forEach((item, i) => out.push({ raw: item, where: `item ${i + 1} of ${docWhere}` }));
      continue;
    }
    const kind = isPlainObject(doc) ? own(doc, 'kind') : undefined;
    if (typeof kind === 'string' && Object.prototype.hasOwnProperty.call(LIST_KINDS, kind)) {
      out.push(...listItems(doc as Record<string, unknown>, LIST_KINDS[kind]!, docWhere));
      continue;
    }
    out.push({ raw: doc, where: docWhere });
  }
  return out;
}

/** Items of a `<kind>List`; an item without apiVersion/kind takes the list's. */
function listItems(doc: Record<string, unknown>, kind: ResourceKind, where: string): { raw: unknown; where: string }[] {
  try {
    checkKeys(doc, ['apiVersion', 'kind', 'metadata', 'items'], '');
    const version = own(doc, 'apiVersion');
    if (!present(version)) throw missing('apiVersion', `apiVersion must be "${API_VERSION}"`);
    if (version !== API_VERSION) throw invalid('apiVersion', version, `apiVersion must be "${API_VERSION}"`);
    const items = own(doc, 'items');
    if (!present(items)) return [];
    return readList(items, 'items').map((item, i) => {
      const itemWhere = `${fieldPath('items', i)} of ${where}`;
      if (!isPlainObject(item)) return { raw: item, where: itemWhere };
      const itemKind = own(item, 'kind');
      if (present(itemKind) && itemKind !== kind) {
        throw invalid(fieldPath(fieldPath('items', i), 'kind'), itemKind, `an item of a ${kind}List must be a ${kind}`);
      }
      return { raw: { apiVersion: API_VERSION, kind, ...item }, where: itemWhere };
    });
  } catch (e) {
    if (e instanceof ValidationError) throw e.in(where);
    throw e;
  }
}

/**
 * Parses and validates every resource in the text; returns them all in normal
 * form, in input order, or throws the first problem: InputSyntaxError for text
 * that is not YAML/JSON, ValidationError naming the field, value and resource.
 */
export function parseResources(text: string): Resource[] {
  if (typeof text !== 'string') throw new InputSyntaxError('input must be text');
  const docs = resourceDocuments(loadDocuments(text));
  if (docs.length === 0) throw new InputSyntaxError('no resources specified in the input');
  return docs.map(({ raw, where }) => validateResource(raw, where));
}

/** Kind aliases accepted on the command line (case-insensitive, as calicoctl v1). */
const KIND_ALIASES: Record<string, ResourceKind> = {
  profile: 'profile',
  profiles: 'profile',
  pro: 'profile',
  pros: 'profile',
  policy: 'policy',
  policies: 'policy',
  pol: 'policy',
  pols: 'policy',
  workloadendpoint: 'workloadEndpoint',
  workloadendpoints: 'workloadEndpoint',
  wep: 'workloadEndpoint',
  weps: 'workloadEndpoint',
  hostendpoint: 'hostEndpoint',
  hostendpoints: 'hostEndpoint',
  hep: 'hostEndpoint',
  heps: 'hostEndpoint',
};

/** The resource kind a CLI argument names (`wep`, `Policies`, ...); UnknownKindError otherwise. */
export function resolveKind(name: string): ResourceKind {
  const key = String(name).toLowerCase();
  if (Object.prototype.hasOwnProperty.call(KIND_ALIASES, key)) return KIND_ALIASES[key]!;
  throw new UnknownKindError(String(name));
}
