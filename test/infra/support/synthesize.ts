import { App, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { StrataStack, type StrataStackProps } from '../../../infra/lib/strata-stack.js';
import { tempDir } from '../../support/temp-dir.js';

/**
 * Synthesizes the Strata stack the way the app does, into a temporary cloud assembly, with a
 * small stand-in for the node bundle (the real one is built by scripts/build-node-bundle.mjs and
 * is large; synthesis only uploads and references it). Synthesis bundles the storage-expansion
 * function with esbuild, so a test file synthesizes once and asks all its questions of that.
 */
export interface SynthesizedStrata {
  readonly app: App;
  readonly stack: StrataStack;
  readonly template: Template;
  /** The template as JSON, for questions the assertions library does not ask directly. */
  readonly json: CfnTemplate;
  readonly assemblyDirectory: string;
  /** CDK's validation report (cdk-nag's findings, when its checks ran). */
  readonly validationReport: ValidationReport;
  readonly cleanup: () => void;
}

/** A value in a synthesized template: JSON whose shape each test checks field by field. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- template JSON is read field by field
export type TemplateValue = any;

export interface CfnResource {
  readonly Type: string;
  readonly Properties?: Record<string, TemplateValue>;
  readonly [key: string]: unknown;
}

export interface CfnTemplate {
  readonly Resources: Record<string, CfnResource>;
  readonly Outputs?: Record<string, { Value: unknown; Description?: string }>;
  readonly Parameters?: Record<string, { Type: string; Default?: string }>;
}

export interface ValidationReport {
  readonly pluginReports: readonly {
    readonly summary?: { readonly pluginName?: string; readonly status?: string };
    readonly violations?: readonly unknown[];
  }[];
}

export function synthesizeStrata(
  props: Partial<StrataStackProps> = {},
  options: { readonly awsSolutionsChecks?: boolean } = {},
): SynthesizedStrata {
  const dir = tempDir('strata-infra-');
  const app = new App({ outdir: join(dir.path, 'cdk.out') });
  const stack = new StrataStack(app, 'Strata', {
    nodeBundlePath: placeholderNodeBundle(dir.path),
    analyticsReporting: false,
    ...props,
  });
  if (options.awsSolutionsChecks) Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  const assembly = app.synth();
  const json = assembly.getStackArtifact(stack.artifactId).template as CfnTemplate;
  let validationReport: ValidationReport = { pluginReports: [] };
  try {
    validationReport = JSON.parse(readFileSync(join(assembly.directory, 'validation-report.json'), 'utf8'));
  } catch {
    // No plugin ran: no report.
  }
  return {
    app,
    stack,
    template: Template.fromJSON(json),
    json,
    assemblyDirectory: assembly.directory,
    validationReport,
    cleanup: dir.cleanup,
  };
}

/** A tarball holding only the node bootstrap's entry point. */
export function placeholderNodeBundle(dir: string): string {
  const contents = join(dir, 'bundle');
  mkdirSync(join(contents, 'bootstrap'), { recursive: true });
  writeFileSync(join(contents, 'bootstrap', 'strata-node.sh'), '#!/bin/bash\necho placeholder\n', {
    mode: 0o755,
  });
  const tarball = join(dir, 'strata-node.tgz');
  // The same bytes on every run: sorted entries, fixed times and owners, no gzip timestamp.
  const tar = execFileSync('tar', [
    '--create',
    '--sort=name',
    '--mtime=@1577836800',
    '--owner=0',
    '--group=0',
    '--numeric-owner',
    '--directory',
    contents,
    '.',
  ]);
  writeFileSync(tarball, gzipSync(tar, { level: 9 }));
  return tarball;
}

// ---- Reading a template -------------------------------------------------------------------------

export function resourcesOfType(json: CfnTemplate, type: string): [string, CfnResource][] {
  return Object.entries(json.Resources).filter(([, r]) => r.Type === type);
}

export function tagsOf(resource: CfnResource): Record<string, unknown> {
  const tags = (resource.Properties?.Tags ?? []) as { Key: string; Value: unknown }[];
  return Object.fromEntries(tags.map((t) => [t.Key, t.Value]));
}

/** The logical id a `Ref` or `Fn::GetAtt` points at. */
export function referenced(value: unknown): string | undefined {
  if (value && typeof value === 'object') {
    const v = value as { Ref?: string; 'Fn::GetAtt'?: [string, string] };
    return v.Ref ?? v['Fn::GetAtt']?.[0];
  }
  return undefined;
}

/**
 * CloudFormation's `Fn::Join` (and `Fn::Base64` around it) as readable text: literal parts as
 * they are, intrinsic functions as `{Ref:X}`, `{X.Attribute}` and `{AZ0}` for `Fn::Select` of
 * `Fn::GetAZs`, so the tests can read user data and outputs as the instance will see them.
 */
export function renderIntrinsic(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return String(value);
  const v = value as Record<string, TemplateValue>;
  if ('Fn::Base64' in v) return renderIntrinsic(v['Fn::Base64']);
  if ('Fn::Join' in v) return (v['Fn::Join'][1] as unknown[]).map(renderIntrinsic).join(v['Fn::Join'][0]);
  if ('Ref' in v) return `{Ref:${v.Ref}}`;
  if ('Fn::GetAtt' in v) return `{${v['Fn::GetAtt'][0]}.${v['Fn::GetAtt'][1]}}`;
  if ('Fn::Select' in v && v['Fn::Select'][1]?.['Fn::GetAZs'] !== undefined)
    return `{AZ${v['Fn::Select'][0]}}`;
  if ('Fn::Sub' in v && typeof v['Fn::Sub'] === 'string') return `{Sub:${v['Fn::Sub']}}`;
  return JSON.stringify(value);
}

/** The template with asset hashes replaced, so a snapshot changes only when the stack does. */
export function normalizedTemplate(json: CfnTemplate): unknown {
  return JSON.parse(JSON.stringify(json).replace(/[0-9a-f]{64}/g, '<asset-hash>'));
}
