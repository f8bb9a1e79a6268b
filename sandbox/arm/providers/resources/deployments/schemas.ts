import { type ResourceSchemas, resourceSchemas } from '../../../resource-schemas.js';
import type { PlannedResource } from './template.js';

/**
 * A generic resource's body against Microsoft's schema for its type and api-version (the vendored subset in
 * sandbox/arm-schemas), as a resource provider's validation would refuse it on Azure: the deployment engine
 * runs it at preflight (validate, what-if, PUT) and again on the fully evaluated body before it stores the
 * document. Types a sandbox provider serves are checked by that provider instead.
 */

/** ARM's error detail for one resource the schema refuses. */
export interface SchemaErrorDetail {
  code: 'InvalidRequestContent';
  target: string;
  message: string;
  additionalInfo: { type: 'SchemaValidation'; info: Record<string, unknown> }[];
}

export type BodyCheck =
  | { ok: true }
  | { ok: false; code: 'NoRegisteredProviderFound' | 'InvalidResourceType'; message: string }
  | { ok: false; code: 'InvalidRequestContent'; message: string; detail: SchemaErrorDetail };

const SUBSET =
  "the slotline sandbox's subset of Microsoft's ARM schemas (sandbox/arm-schemas: the types and api-versions the repo's templates use)";

/** `resources[3]`, or `resources[3] (copy 'x', index 2)`: where the resource is in the template. */
export function templatePath(template: Record<string, unknown>, r: PlannedResource): string {
  const resources = Array.isArray(template['resources']) ? template['resources'] : [];
  const at = `resources[${resources.indexOf(r.raw)}]`;
  return r.copy ? `${at} (copy '${r.copy.name}', index ${r.copy.index})` : at;
}

export function checkResourceBody(
  r: PlannedResource,
  body: Record<string, unknown>,
  where: string,
  defaultLocation: string,
  schemas: ResourceSchemas = resourceSchemas,
): BodyCheck {
  // The older way to write an extension resource, type `Microsoft.Web/sites/providers/diagnosticSettings`
  // named `site/Microsoft.Insights/x`, is ARM's `Microsoft.Insights/diagnosticSettings` `x` on the site.
  const extension = legacyExtension(r.type, r.name);
  const type = extension?.type ?? r.type;
  const found = schemas.lookup(type, r.apiVersion);
  if (found.kind === 'other-versions') {
    const location = typeof body['location'] === 'string' ? body['location'] : defaultLocation;
    return {
      ok: false,
      code: 'NoRegisteredProviderFound',
      message: `No registered resource provider found for location '${location.replace(/\s/g, '').toLowerCase()}' and API version '${r.apiVersion}' for type '${type.split('/').slice(1).join('/')}'. The supported api-versions are '${found.apiVersions.join(', ')}' (those of ${SUBSET}; to use another, see sandbox/arm-schemas/PROVENANCE.md).`,
    };
  }
  if (found.kind === 'unknown-type')
    return {
      ok: false,
      code: 'InvalidResourceType',
      message: `The resource type '${r.type}' of ${where} is not in ${SUBSET}, so the sandbox cannot check or store it. If it is a real Azure type, copy its provider file from the same upstream commit into sandbox/arm-schemas (see PROVENANCE.md there).`,
    };
  // ARM matches types and api-versions without regard to case; the schema's enums spell them one way.
  const name = extension?.name ?? r.name;
  const document = { ...body, type: found.type, apiVersion: found.apiVersion, name };
  let faults = schemas.validate(found.type, found.apiVersion, document);
  // A child resource's name is `parent/child` in the template; some schemas describe that whole name
  // (`^.*/default$`), most the last segment alone. Either may match.
  if (name.includes('/') && faults.some((f) => f.path === 'name')) {
    const child = schemas.validate(found.type, found.apiVersion, {
      ...document,
      name: name.split('/').pop(),
    });
    if (!child.some((f) => f.path === 'name')) faults = child;
  }
  if (faults.length === 0) return { ok: true };
  const message = `The request content was invalid: ${where} (${r.type} '${r.name}', api-version ${found.apiVersion}): ${faults
    .map((f) => `${f.path ? `'${f.path}' ` : ''}${f.reason}`)
    .join('; ')}. Checked against Microsoft's schema ${found.schema}.`;
  return {
    ok: false,
    code: 'InvalidRequestContent',
    message,
    detail: {
      code: 'InvalidRequestContent',
      target: r.id,
      message,
      additionalInfo: [
        {
          type: 'SchemaValidation',
          info: {
            templatePath: where,
            resourceType: found.type,
            apiVersion: found.apiVersion,
            schema: found.schema,
            faults,
          },
        },
      ],
    },
  };
}

/** ARM's preflight refusal: `InvalidTemplateDeployment` with the resource providers' errors inside. */
export function preflightFailure(
  deploymentName: string,
  trackingId: string,
  details: SchemaErrorDetail[],
): { message: string; extra: Record<string, unknown> } {
  return {
    message: `The template deployment '${deploymentName}' is not valid according to the validation procedure. The tracking id is '${trackingId}'. See inner errors for details.`,
    extra: {
      details: [
        {
          code: 'PreflightValidationCheckFailed',
          message: 'Preflight validation failed. Please refer to the details for the specific errors.',
          details,
        },
      ],
    },
  };
}

/** `{type: 'Microsoft.Insights/diagnosticSettings', name: 'x'}` for `Microsoft.Web/sites/providers/diagnosticSettings` `site/Microsoft.Insights/x`. */
function legacyExtension(type: string, name: string): { type: string; name: string } | undefined {
  const typeParts = type.split('/');
  const at = typeParts.findIndex((p, i) => i > 0 && p.toLowerCase() === 'providers');
  if (at < 0) return undefined;
  const nameParts = name.split('/');
  const namespace = nameParts[at - 1];
  if (!namespace) return undefined;
  return {
    type: [namespace, ...typeParts.slice(at + 1)].join('/'),
    name: nameParts.slice(at).join('/'),
  };
}
