/**
 * The schema file as an editor uses it (docs/schema.md): compiled by a plain ajv, no stack
 * code around it, on files as written (no interpolation, no YAML 1.1 coercion). It accepts
 * every valid fixture and rejects every fixtures/invalid/schema-* file, so what the editor
 * underlines is what `stack config` reports.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../..');
const schema = JSON.parse(readFileSync(join(root, 'src/loader/stack.schema.json'), 'utf8')) as Record<string, unknown>;
const validate = new Ajv2020({ allErrors: true, allowUnionTypes: true, strict: false }).compile(schema);

/** Fixtures the plain schema cannot judge as stack does, and why. */
const NOT_FOR_THE_PLAIN_SCHEMA: Readonly<Record<string, string>> = {
  'fixtures/normalize-coerce/stack.yaml':
    'YAML 1.1 booleans (`yes`): stack accepts them with a warning, an editor flags them',
  'fixtures/reliability/secrets/bad-override.yaml': "invalid on purpose (the secrets fixture's failing override)",
};

function yamlFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return path.endsWith('fixtures/invalid') ? [] : yamlFiles(path);
    return /\.ya?ml$/.test(e.name) ? [path] : [];
  });
}

const read = (file: string): unknown =>
  parse(readFileSync(file, 'utf8'), { logLevel: 'error', merge: true }) as unknown;

describe('the published JSON schema', () => {
  it("has the package's own $id, not a URL that does not exist", () => {
    expect(schema['$id']).toBe('urn:stack-compose:schema:stack-file');
  });

  const valid = yamlFiles(join(root, 'fixtures'))
    .map((f) => relative(root, f))
    .filter((f) => !(f in NOT_FOR_THE_PLAIN_SCHEMA))
    // interpolation happens before validation: `${PULL_POLICY:-missing}` is not yet a policy
    .filter((f) => !readFileSync(join(root, f), 'utf8').includes('${'))
    .sort();

  it('is exercised on many fixtures', () => {
    expect(valid.length).toBeGreaterThan(20);
  });

  it.each(valid)('accepts %s', (file) => {
    expect(validate(read(join(root, file))), JSON.stringify(validate.errors?.slice(0, 3))).toBe(true);
  });

  const invalid = readdirSync(join(root, 'fixtures/invalid'))
    .filter((f) => f.startsWith('schema-'))
    .sort();
  it.each(invalid)('rejects fixtures/invalid/%s', (file) => {
    expect(validate(read(join(root, 'fixtures/invalid', file)))).toBe(false);
  });
});
