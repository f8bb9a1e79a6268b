import {
  checkExpressions,
  type EvalScope,
  evaluateDeep,
  evaluateString,
  isExpression,
  isObject,
  referenceArguments,
  TemplateError,
} from './expressions.js';

/** Where a deployment runs: the resource group, its subscription, and how `reference()` reads resources. */
export interface DeploymentTarget {
  subscriptionId: string;
  tenantId: string;
  resourceGroup: { id: string; name: string; location: string; tags?: Record<string, string> };
  deploymentName: string;
  /** A resource's GET body, or undefined when it does not exist. */
  read?: (id: string) => Record<string, unknown> | undefined;
  /**
   * A `list*()` action on an existing resource (`listKeys`): its response body. Throws a TemplateError when
   * the resource has no such action or the caller may not run it. Without it, `list*()` is unsupported.
   */
  list?: (fn: string, id: string, apiVersion: string) => Record<string, unknown>;
}

/** One resource instance the deployment writes (after `copy` and `condition`). */
export interface PlannedResource {
  id: string;
  type: string;
  name: string;
  apiVersion: string;
  /** Ids of the planned resources this one waits for. */
  dependsOn: string[];
  /** The copy loop and index it came from, if any. */
  copy?: { name: string; index: number };
  /** The resource as the template writes it (expressions unevaluated). */
  raw: Record<string, unknown>;
}

/** A parameter as a deployment's `properties.parameters` reports it (secure values left out, as ARM does). */
export interface ResolvedParameter {
  type: string;
  value?: unknown;
}

const PARAMETER_TYPES: Record<string, string> = {
  string: 'String',
  securestring: 'SecureString',
  int: 'Int',
  bool: 'Bool',
  object: 'Object',
  secureobject: 'SecureObject',
  array: 'Array',
};

/** Body fields a resource PUT carries; the rest of a template resource is for ARM itself. */
const BODY_FIELDS = [
  'location',
  'tags',
  'sku',
  'kind',
  'properties',
  'identity',
  'plan',
  'zones',
  'extendedLocation',
  'managedBy',
];

const fail = (inner: string) =>
  new TemplateError(`Deployment template validation failed: '${inner.replace(/\.$/, '')}'.`);

const jsonType = (v: unknown) =>
  typeof v === 'string'
    ? 'String'
    : typeof v === 'boolean'
      ? 'Boolean'
      : typeof v === 'number'
        ? 'Integer'
        : Array.isArray(v)
          ? 'Array'
          : v === null
            ? 'Null'
            : 'Object';

function matchesType(type: string, v: unknown): boolean {
  switch (type) {
    case 'String':
    case 'SecureString':
      return typeof v === 'string';
    case 'Int':
      return typeof v === 'number' && Number.isInteger(v);
    case 'Bool':
      return typeof v === 'boolean';
    case 'Array':
      return Array.isArray(v);
    default:
      return isObject(v);
  }
}

function findKey(obj: Record<string, unknown>, name: string): string | undefined {
  return Object.keys(obj).find((k) => k.toLowerCase() === name.toLowerCase());
}

/**
 * A deployment template with its parameter values: checks the parameters, evaluates variables lazily, expands
 * `copy` and `condition`, orders resources by `dependsOn`, and evaluates bodies and outputs. Pure: the caller
 * supplies the target and how `reference()` reads resources.
 */
export class TemplateRun {
  readonly parameters: Record<string, ResolvedParameter> = {};
  private readonly parameterValues = new Map<string, unknown>();
  private readonly variableValues = new Map<string, unknown>();
  private readonly evaluating = new Set<string>();
  private readonly variableDefs: Record<string, unknown>;
  private planned?: PlannedResource[];
  /**
   * GET bodies by lower-cased id, read first by `reference()`: what this run wrote, and what the caller read
   * through the resource's provider beforehand (`references()` says which).
   */
  readonly deployed = new Map<string, Record<string, unknown>>();

  constructor(
    readonly template: Record<string, unknown>,
    supplied: Record<string, unknown>,
    readonly target: DeploymentTarget,
  ) {
    if (!isObject(template)) throw fail('The template must be a JSON object');
    if (template['languageVersion'] !== undefined)
      throw fail(
        `The template's languageVersion '${String(template['languageVersion'])}' is not supported in the slotline sandbox: it evaluates language version 1 templates (resources as an array)`,
      );
    if (template['resources'] !== undefined && !Array.isArray(template['resources']))
      throw fail("The template property 'resources' must be an array");
    this.variableDefs = isObject(template['variables']) ? template['variables'] : {};
    checkExpressions(template);
    this.resolveParameters(isObject(supplied) ? supplied : {});
  }

  // ------------------------------------------------------------ parameters

  private resolveParameters(supplied: Record<string, unknown>): void {
    const defs = isObject(this.template['parameters']) ? this.template['parameters'] : {};
    const unknown = Object.keys(supplied).filter((k) => findKey(defs, k) === undefined);
    if (unknown.length > 0)
      throw fail(
        `The template parameters '${unknown.join(', ')}' in the parameters file are not valid; they are not present in the original template and can therefore not be provided at deployment time. The only supported parameters for this template are '${Object.keys(defs).join(', ')}'. Please see https://aka.ms/arm-pass-parameter-values for usage details.`,
      );
    for (const [name, defRaw] of Object.entries(defs)) {
      try {
        this.resolveParameter(name, defRaw, supplied);
      } catch (error) {
        if (error instanceof TemplateError) error.at(`parameters.${name}`);
        throw error;
      }
    }
  }

  private resolveParameter(name: string, defRaw: unknown, supplied: Record<string, unknown>): void {
    const def = isObject(defRaw) ? defRaw : {};
    const type = PARAMETER_TYPES[String(def['type']).toLowerCase()];
    if (!type) throw fail(`The template parameter '${name}' has an invalid type '${String(def['type'])}'`);
    const key = findKey(supplied, name);
    let value: unknown;
    if (key !== undefined) {
      const entry = supplied[key];
      if (isObject(entry) && 'reference' in entry)
        throw fail(
          `The parameter '${name}' is a Key Vault reference, which the slotline sandbox does not resolve`,
        );
      if (!isObject(entry) || !('value' in entry))
        throw new TemplateError(
          `The request content was invalid: parameter '${name}' must be an object with a 'value' property.`,
          'InvalidRequestContent',
        );
      value = entry['value'];
    } else if ('defaultValue' in def) {
      value = evaluateDeep(def['defaultValue'], this.scope());
    } else {
      throw fail(
        `The value for the template parameter '${name}' is not provided. Please see https://aka.ms/arm-create-parameter-file for usage details.`,
      );
    }
    if (!matchesType(type, value))
      throw fail(
        `Template parameter '${name}' was provided an invalid value. Expected a value of type '${type === 'Int' ? 'Integer' : type}', but received a value of type '${jsonType(value)}'. Please see https://aka.ms/arm-create-parameter-file for usage details.`,
      );
    this.checkConstraints(name, def, value);
    this.parameterValues.set(name.toLowerCase(), value);
    this.parameters[name] = type.startsWith('Secure') ? { type } : { type, value };
  }

  private checkConstraints(name: string, def: Record<string, unknown>, value: unknown): void {
    const invalid = (why: string) =>
      fail(`The provided value for the template parameter '${name}' is not valid. ${why}`);
    const allowed = def['allowedValues'];
    if (Array.isArray(allowed)) {
      const ok = Array.isArray(value)
        ? value.every((v) => allowed.some((a) => JSON.stringify(a) === JSON.stringify(v)))
        : allowed.some((a) => JSON.stringify(a) === JSON.stringify(value));
      if (!ok)
        throw invalid(
          `The value '${typeof value === 'string' ? value : JSON.stringify(value)}' is not part of the allowed value(s): '${allowed.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(',')}'.`,
        );
    }
    if (typeof value === 'number') {
      if (typeof def['minValue'] === 'number' && value < def['minValue'])
        throw invalid(`The value '${value}' is less than the minimum value '${def['minValue']}'.`);
      if (typeof def['maxValue'] === 'number' && value > def['maxValue'])
        throw invalid(`The value '${value}' is greater than the maximum value '${def['maxValue']}'.`);
    }
    if (typeof value === 'string' || Array.isArray(value)) {
      if (typeof def['minLength'] === 'number' && value.length < def['minLength'])
        throw invalid(`The length '${value.length}' is less than the minimum length '${def['minLength']}'.`);
      if (typeof def['maxLength'] === 'number' && value.length > def['maxLength'])
        throw invalid(
          `The length '${value.length}' is greater than the maximum length '${def['maxLength']}'.`,
        );
    }
  }

  // ------------------------------------------------------------ scope

  /** The scope expressions see; `loops` binds copyIndex(), `phase` says whether reference() may run. */
  scope(loops: Record<string, number> = {}, current?: string, phase: 'plan' | 'deploy' = 'plan'): EvalScope {
    const t = this.target;
    return {
      parameter: (name) => {
        const key = name.toLowerCase();
        if (!this.parameterValues.has(key)) {
          const defs = isObject(this.template['parameters']) ? this.template['parameters'] : {};
          if (findKey(defs, name) !== undefined)
            throw new TemplateError(
              `The template parameter '${name}' is referenced by another parameter's default value before it is resolved.`,
            );
          throw new TemplateError(`The template parameter '${name}' is not found.`);
        }
        return this.parameterValues.get(key);
      },
      variable: (name) => this.variable(name, phase),
      copyIndex: (loop) => {
        const key = loop ?? current;
        if (key === undefined || !(key in loops))
          throw new TemplateError(
            loop
              ? `The template copy name '${loop}' is not found.`
              : "The template function 'copyIndex' is not expected at this location. The function can only be used in a resource with copy specified.",
          );
        return loops[key]!;
      },
      resourceGroup: () => ({
        id: t.resourceGroup.id,
        name: t.resourceGroup.name,
        type: 'Microsoft.Resources/resourceGroups',
        location: t.resourceGroup.location,
        tags: t.resourceGroup.tags ?? {},
        properties: { provisioningState: 'Succeeded' },
      }),
      subscription: () => ({
        id: `/subscriptions/${t.subscriptionId}`,
        subscriptionId: t.subscriptionId,
        tenantId: t.tenantId,
        displayName: 'slotline sandbox',
      }),
      deployment: () => ({
        name: t.deploymentName,
        properties: {
          template: { contentVersion: this.template['contentVersion'] ?? '1.0.0.0' },
          templateLink: null,
        },
      }),
      reference: (idOrName, _apiVersion, full) => {
        if (phase === 'plan')
          throw new NotAtPlanTime(
            "The template function 'reference' is not expected at this location. Please see https://aka.ms/arm-functions-resource for usage details.",
          );
        const id = this.resolveReference(idOrName);
        const body = this.deployed.get(id.toLowerCase()) ?? t.read?.(id);
        if (!body) {
          if (this.plan().some((r) => r.id.toLowerCase() === id.toLowerCase())) throw new DeferredMarker(id);
          throw new TemplateError(
            `The Resource '${id.replace(/^.*\/providers\//, '')}' under resource group '${t.resourceGroup.name}' was not found.`,
            'ResourceNotFound',
          );
        }
        return full ? body : (body['properties'] ?? {});
      },
      ...(t.list
        ? {
            list: (fn: string, idOrName: string, apiVersion: string) => {
              if (phase === 'plan')
                throw new NotAtPlanTime(
                  `The template function '${fn}' is not expected at this location. Please see https://aka.ms/arm-functions-resource for usage details.`,
                );
              const id = this.resolveReference(idOrName);
              // A resource this deployment has yet to create has no keys to list (what-if leaves the value as written).
              const exists = this.deployed.has(id.toLowerCase()) || t.read?.(id) !== undefined;
              if (!exists && this.plan().some((r) => r.id.toLowerCase() === id.toLowerCase()))
                throw new DeferredMarker(id);
              return t.list!(fn, id, apiVersion);
            },
          }
        : {}),
    };
  }

  private resolveReference(idOrName: string): string {
    if (idOrName.startsWith('/')) return idOrName;
    const byName = this.plan().filter((r) => r.name.toLowerCase() === idOrName.toLowerCase());
    if (byName.length === 1) return byName[0]!.id;
    throw new TemplateError(
      `The template function 'reference' could not resolve '${idOrName}': give a resource id or the name of one resource in this template.`,
    );
  }

  /**
   * A variable's value. One that calls reference() (or list*()) can only be evaluated where a resource body or
   * an output uses it (`phase` deploy), as ARM inlines it there; such a value is not cached, since what it
   * reads changes as the deployment writes resources.
   */
  private variable(name: string, phase: 'plan' | 'deploy' = 'plan'): unknown {
    const key = findKey(this.variableDefs, name);
    if (key !== undefined) {
      const lower = key.toLowerCase();
      if (this.variableValues.has(lower)) return this.variableValues.get(lower);
      if (this.evaluating.has(lower))
        throw new TemplateError(`The template variable '${key}' refers to itself through other variables.`);
      this.evaluating.add(lower);
      try {
        try {
          const value = evaluateDeep(this.variableDefs[key], this.scope());
          this.variableValues.set(lower, value);
          return value;
        } catch (error) {
          if (!(error instanceof NotAtPlanTime) || phase !== 'deploy') throw error;
        }
        return evaluateDeep(this.variableDefs[key], this.scope({}, undefined, 'deploy'));
      } finally {
        this.evaluating.delete(lower);
      }
    }
    // `copy` in variables: each entry defines a variable that is an array of `count` evaluated inputs.
    const copies = Array.isArray(this.variableDefs['copy']) ? this.variableDefs['copy'] : [];
    const loop = copies.find((c) => isObject(c) && String(c['name']).toLowerCase() === name.toLowerCase());
    if (isObject(loop)) {
      const lower = name.toLowerCase();
      if (this.variableValues.has(lower)) return this.variableValues.get(lower);
      const count = this.count(loop['count'], this.scope());
      const loopName = String(loop['name']);
      const value = Array.from({ length: count }, (_, i) =>
        evaluateDeep(loop['input'], this.scope({ [loopName]: i }, loopName)),
      );
      this.variableValues.set(lower, value);
      return value;
    }
    throw new TemplateError(
      `The template variable '${name}' is not found. Please see https://aka.ms/arm-template/#variables for usage details.`,
    );
  }

  private count(raw: unknown, scope: EvalScope): number {
    const count = typeof raw === 'string' ? evaluateString(raw, scope) : raw;
    if (typeof count !== 'number' || !Number.isInteger(count) || count < 0 || count > 800)
      throw new TemplateError(
        `The template copy count must be an integer from 0 to 800, but is '${JSON.stringify(count)}'.`,
      );
    return count;
  }

  // ------------------------------------------------------------ resources

  /** The resources to write, in an order that honours `dependsOn` (condition false left out). */
  plan(): PlannedResource[] {
    if (this.planned) return this.planned;
    const all: (PlannedResource & { enabled: boolean; dependsOnRaw: string[]; label: string })[] = [];
    const resources = (this.template['resources'] ?? []) as unknown[];
    resources.forEach((raw, position) => {
      try {
        this.planResource(raw, position, all);
      } catch (error) {
        if (error instanceof TemplateError) error.at(`resources[${position}]`);
        throw error;
      }
    });
    this.order(all);
    return this.planned!;
  }

  /** The instances (copy) of the template resource at `position`, appended to `all`. */
  private planResource(
    raw: unknown,
    position: number,
    all: (PlannedResource & { enabled: boolean; dependsOnRaw: string[]; label: string })[],
  ): void {
    if (!isObject(raw)) throw fail(`The template resource at position '${position}' is not an object`);
    const label = String(raw['name'] ?? `#${position}`);
    if (raw['resources'] !== undefined)
      throw fail(
        `The template resource '${label}' has nested 'resources', which the slotline sandbox does not expand: write child resources at the top level with their full type and name`,
      );
    for (const field of ['subscriptionId', 'resourceGroup'])
      if (raw[field] !== undefined)
        throw fail(
          `The template resource '${label}' sets '${field}': the slotline sandbox deploys only to the deployment's resource group`,
        );
    const copy = isObject(raw['copy']) ? raw['copy'] : undefined;
    const loopName = copy ? String(copy['name']) : undefined;
    const count = copy
      ? this.inResource(label, `resources[${position}].copy.count`, () =>
          this.count(copy['count'], this.scope()),
        )
      : 1;
    for (let i = 0; i < count; i++) {
      const loops = loopName ? { [loopName]: i } : {};
      const scope = this.scope(loops, loopName);
      this.inResource(label, undefined, () => {
        const type = evaluateString(String(raw['type'] ?? ''), scope);
        const name = evaluateString(String(raw['name'] ?? ''), scope);
        const apiVersion = evaluateString(String(raw['apiVersion'] ?? ''), scope);
        if (typeof type !== 'string' || !/^[^/]+\/[^/]+/.test(type))
          throw new TemplateError(`The resource type '${String(type)}' is not valid.`);
        if (typeof name !== 'string' || name === '')
          throw new TemplateError('The resource name must be a non-empty string.');
        if (typeof apiVersion !== 'string' || apiVersion === '')
          throw new TemplateError("The resource must specify an 'apiVersion'.");
        if (type.toLowerCase() === 'microsoft.resources/deployments')
          throw new TemplateError(
            'Nested deployments (Microsoft.Resources/deployments in a template) are not supported in the slotline sandbox.',
          );
        const typeParts = type.split('/');
        const nameParts = name.split('/');
        if (typeParts.length !== nameParts.length + 1)
          throw new TemplateError(
            `The template resource '${name}' for type '${type}' has incorrect segment lengths. A nested resource type must have identical number of segments as its resource name. A root resource type must have segment length one greater than its resource name. Please see https://aka.ms/arm-syntax-resources for usage details.`,
          );
        // `scope` makes an extension resource (a role assignment on a registry): its id hangs off the scope's.
        const scopeRaw = raw['scope'];
        const scopeValue = scopeRaw === undefined ? undefined : evaluateString(String(scopeRaw), scope);
        if (scopeValue !== undefined && (typeof scopeValue !== 'string' || scopeValue === ''))
          throw new TemplateError("The resource 'scope' must be a non-empty string.");
        const parent = scopeValue === undefined ? this.target.resourceGroup.id : this.scopeId(scopeValue);
        let id = `${parent}/providers/${typeParts[0]}`;
        typeParts.slice(1).forEach((t, j) => {
          id += `/${t}/${nameParts[j]}`;
        });
        const conditionRaw = raw['condition'];
        const condition =
          conditionRaw === undefined
            ? true
            : typeof conditionRaw === 'string'
              ? evaluateString(conditionRaw, scope)
              : conditionRaw;
        if (typeof condition !== 'boolean')
          throw new TemplateError(
            `The resource condition must be a boolean, not '${JSON.stringify(condition)}'.`,
          );
        const dependsOnRaw = (Array.isArray(raw['dependsOn']) ? raw['dependsOn'] : []).map((d) => {
          const v = typeof d === 'string' ? evaluateString(d, scope) : d;
          if (typeof v !== 'string') throw new TemplateError('Each dependsOn entry must be a string.');
          return v;
        });
        all.push({
          id,
          type,
          name,
          apiVersion,
          dependsOn: [],
          raw,
          enabled: condition,
          dependsOnRaw,
          label: name,
          ...(loopName ? { copy: { name: loopName, index: i } } : {}),
        });
      });
    }
  }

  /** Duplicates, `dependsOn` and the deployment order of the planned instances. */
  private order(
    all: (PlannedResource & { enabled: boolean; dependsOnRaw: string[]; label: string })[],
  ): void {
    const seen = new Set<string>();
    for (const r of all) {
      const key = r.id.toLowerCase();
      if (seen.has(key) && r.enabled)
        throw fail(
          `The resource '${r.id}' is defined multiple times in a template. Please see https://aka.ms/arm-template/#resources for usage details.`,
        );
      if (r.enabled) seen.add(key);
    }
    const ids = new Map<string, string>();
    for (const r of all) {
      if (!r.enabled) continue;
      ids.set(r.id.toLowerCase(), r.id);
      const byName = `name:${r.name.toLowerCase()}`;
      ids.set(byName, ids.has(byName) ? '' : r.id);
    }
    // dependsOn: a resource id, `type/name`, a name, or a copy loop's name (every instance).
    for (const r of all) {
      const loops = r.copy ? { [r.copy.name]: r.copy.index } : {};
      const deps = new Set<string>(
        this.implicitDependencies(r.raw, this.scope(loops, r.copy?.name), ids).filter((d) => d !== r.id),
      );
      for (const entry of r.dependsOnRaw) {
        const e = entry.toLowerCase();
        const matches = all.filter(
          (o) =>
            o.id.toLowerCase() === e ||
            `${o.type}/${o.name}`.toLowerCase() === e ||
            o.name.toLowerCase() === e ||
            o.copy?.name.toLowerCase() === e,
        );
        if (matches.length === 0)
          throw fail(
            `The resource '${entry}' is not defined in the template. Please see https://aka.ms/arm-syntax for usage details.`,
          ).at(`${this.resourcePath(r.raw)}.dependsOn`);
        for (const m of matches) if (m.enabled && m !== r) deps.add(m.id);
      }
      r.dependsOn = [...deps];
    }
    const enabled = all.filter((r) => r.enabled);
    let ordered: typeof enabled;
    try {
      ordered = topologicalOrder(enabled);
    } catch (error) {
      const cyclic = error instanceof CircularDependency ? enabled.find((r) => r.id === error.id) : undefined;
      if (cyclic) (error as TemplateError).at(this.resourcePath(cyclic.raw));
      throw error;
    }
    this.planned = ordered.map(({ enabled: _e, dependsOnRaw: _d, label: _l, ...planned }) => planned);
  }

  /** `resources[3]`: where a resource is in the template. */
  private resourcePath(raw: Record<string, unknown>): string {
    const resources = Array.isArray(this.template['resources']) ? this.template['resources'] : [];
    return `resources[${resources.indexOf(raw)}]`;
  }

  /** A `scope` value as a resource id in the deployment's group: a full id, or `Namespace/type/name`. */
  private scopeId(value: string): string {
    const group = this.target.resourceGroup.id;
    if (value.startsWith('/')) {
      if (
        value.toLowerCase() === group.toLowerCase() ||
        value.toLowerCase().startsWith(`${group.toLowerCase()}/providers/`)
      )
        return value;
      throw new TemplateError(
        `The scope '${value}' is outside the deployment's resource group: the slotline sandbox deploys only to the deployment's resource group.`,
      );
    }
    const parts = value.split('/');
    if (parts.length < 3 || parts.length % 2 === 0)
      throw new TemplateError(
        `The scope '${value}' is not valid: give a resource id or 'Namespace/type/name' of a resource in the resource group.`,
      );
    return `${group}/providers/${value}`;
  }

  private inResource<T>(label: string, path: string | undefined, f: () => T): T {
    try {
      return f();
    } catch (error) {
      if (error instanceof TemplateError && !error.message.startsWith('Deployment template'))
        throw fail(`The template resource '${label}' is not valid: ${error.message}`).at(error.path ?? path);
      throw error;
    }
  }

  /**
   * The body a resource is PUT with. In `whatIf` a `reference()` to a resource this deployment has not
   * created yet leaves that value as the template wrote it, as Azure's what-if does.
   */
  body(r: PlannedResource, mode: 'deploy' | 'whatIf'): Record<string, unknown> {
    const loops = r.copy ? { [r.copy.name]: r.copy.index } : {};
    const scopeWith = (extra: Record<string, number>, current?: string) =>
      this.scope({ ...loops, ...extra }, current ?? r.copy?.name, 'deploy');
    const body: Record<string, unknown> = {};
    for (const field of BODY_FIELDS) {
      const key = findKey(r.raw, field);
      if (key === undefined) continue;
      body[field] = this.inResource(r.name, `${this.resourcePath(r.raw)}.${key}`, () =>
        evaluateTolerant(
          r.raw[key],
          scopeWith({}),
          mode === 'whatIf',
          field === 'properties' ? scopeWith : undefined,
        ),
      );
    }
    return body;
  }

  /**
   * The ids a resource's body (or, without one, the outputs) calls `reference()` on, where the argument can
   * be evaluated before anything is deployed: the caller may read them into `deployed` first.
   */
  references(r?: PlannedResource): string[] {
    const loops = r?.copy ? { [r.copy.name]: r.copy.index } : {};
    const scope = this.scope(loops, r?.copy?.name);
    const outputs = isObject(this.template['outputs']) ? this.template['outputs'] : {};
    const values = r
      ? BODY_FIELDS.map((f) => findKey(r.raw, f)).map((k) => (k === undefined ? undefined : r.raw[k]))
      : Object.values(outputs);
    const ids: string[] = [];
    for (const arg of referenceArguments(values, scope)) {
      try {
        ids.push(this.resolveReference(arg));
      } catch {
        // A name that matches no single template resource is reported when the value is evaluated.
      }
    }
    return ids;
  }

  /**
   * The ids of template resources a resource's body calls `reference()` on: ARM makes them implicit
   * dependencies. Arguments that need a deployed resource themselves are skipped.
   */
  private implicitDependencies(
    raw: Record<string, unknown>,
    scope: EvalScope,
    ids: Map<string, string>,
  ): string[] {
    const found: string[] = [];
    for (const field of BODY_FIELDS) {
      const key = findKey(raw, field);
      if (key === undefined) continue;
      for (const arg of referenceArguments(raw[key], scope)) {
        const lower = arg.toLowerCase();
        const id = arg.startsWith('/') ? ids.get(lower) : ids.get(`name:${lower}`);
        if (id) found.push(id);
      }
    }
    return found;
  }

  // ------------------------------------------------------------ outputs

  outputs(): Record<string, { type: string; value: unknown }> {
    const defs = isObject(this.template['outputs']) ? this.template['outputs'] : {};
    const out: Record<string, { type: string; value: unknown }> = {};
    for (const [name, defRaw] of Object.entries(defs)) {
      const def = isObject(defRaw) ? defRaw : {};
      const scope = this.scope({}, undefined, 'deploy');
      const wrap = <T>(f: () => T): T => {
        try {
          return f();
        } catch (error) {
          if (error instanceof DeferredMarker)
            throw new TemplateError(
              `The template output '${name}' refers to a resource that was not deployed.`,
            );
          if (error instanceof TemplateError)
            throw new TemplateError(
              `The template output '${name}' is not valid: ${error.message}`,
              error.code,
            );
          throw error;
        }
      };
      const condition =
        def['condition'] === undefined ? true : wrap(() => evaluateDeep(def['condition'], scope));
      if (condition !== true) continue;
      const type = PARAMETER_TYPES[String(def['type']).toLowerCase()] ?? 'String';
      const value = wrap(() => evaluateDeep(def['value'], scope));
      if (!matchesType(type, value))
        throw new TemplateError(
          `The template output '${name}' is not valid: expected a value of type '${type}', but the value is of type '${jsonType(value)}'.`,
        );
      out[name] = { type, value };
    }
    return out;
  }
}

/** reference() or list*() where no resource is deployed yet: in a parameter default, a name, a variable used there. */
class NotAtPlanTime extends TemplateError {}

/** Thrown by reference() during what-if for a resource the deployment would create. */
class DeferredMarker extends Error {
  constructor(readonly id: string) {
    super(`The resource '${id}' is not deployed yet.`);
  }
}

function evaluateTolerant(
  value: unknown,
  scope: EvalScope,
  tolerant: boolean,
  loopScope?: (loops: Record<string, number>, current: string) => EvalScope,
): unknown {
  if (typeof value === 'string') {
    try {
      return evaluateString(value, scope);
    } catch (error) {
      if (tolerant && error instanceof DeferredMarker) return value;
      if (error instanceof DeferredMarker)
        throw new TemplateError(
          `The resource '${error.id}' is referenced before it is deployed: add it to dependsOn.`,
        );
      throw error;
    }
  }
  if (Array.isArray(value)) return value.map((v) => evaluateTolerant(v, scope, tolerant, loopScope));
  if (isObject(value)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      // Property iteration: `"copy": [{name, count, input}]` inside `properties` makes each `name` an array.
      if (k.toLowerCase() === 'copy' && loopScope && Array.isArray(v)) {
        for (const loop of v) {
          if (!isObject(loop) || typeof loop['name'] !== 'string')
            throw new TemplateError(
              "Each property copy must be an object with a 'name', a 'count' and an 'input'.",
            );
          const name = loop['name'];
          const countRaw =
            typeof loop['count'] === 'string' ? evaluateString(loop['count'], scope) : loop['count'];
          if (typeof countRaw !== 'number' || !Number.isInteger(countRaw) || countRaw < 0 || countRaw > 800)
            throw new TemplateError(`The property copy '${name}' count must be an integer from 0 to 800.`);
          out[name] = Array.from({ length: countRaw }, (_, i) =>
            evaluateTolerant(loop['input'], loopScope({ [name]: i }, name), tolerant, loopScope),
          );
        }
        continue;
      }
      // Keys may be expressions too (`userAssignedIdentities: {"[variables('identityId')]": {}}`).
      const key = isExpression(k) || k.startsWith('[[') ? String(evaluateTolerant(k, scope, tolerant)) : k;
      out[key] = evaluateTolerant(v, scope, tolerant, loopScope);
    }
    return out;
  }
  return value;
}

/** ARM's "Circular dependency detected", naming the resource the cycle was found on. */
class CircularDependency extends TemplateError {
  constructor(readonly id: string) {
    super(
      `Deployment template validation failed: 'Circular dependency detected on resource: '${id}'. Please see https://aka.ms/arm-syntax-resources for usage details'.`,
    );
  }
}

/** Kahn's order, keeping template order among ready resources; a cycle is ARM's "Circular dependency". */
function topologicalOrder<T extends { id: string; dependsOn: string[] }>(resources: T[]): T[] {
  const done = new Set<string>();
  const out: T[] = [];
  const pending = [...resources];
  while (pending.length > 0) {
    const i = pending.findIndex((r) => r.dependsOn.every((d) => done.has(d.toLowerCase())));
    if (i < 0) throw new CircularDependency(findCycle(pending) ?? pending[0]!.id);
    const [next] = pending.splice(i, 1);
    done.add(next!.id.toLowerCase());
    out.push(next!);
  }
  return out;
}

function findCycle(pending: { id: string; dependsOn: string[] }[]): string | undefined {
  const byId = new Map(pending.map((r) => [r.id.toLowerCase(), r]));
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (id: string): string | undefined => {
    const key = id.toLowerCase();
    if (state.get(key) === 'visiting') return byId.get(key)?.id;
    if (state.get(key) === 'done' || !byId.has(key)) return undefined;
    state.set(key, 'visiting');
    for (const d of byId.get(key)!.dependsOn) {
      const found = visit(d);
      if (found) return found;
    }
    state.set(key, 'done');
    return undefined;
  };
  for (const r of pending) {
    const found = visit(r.id);
    if (found) return found;
  }
  return undefined;
}
