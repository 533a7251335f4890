import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import MarkdownIt from 'markdown-it';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { jobsFileSchema } from '../../../src/config/jobsSchema.js';

/**
 * docs/ is the one reference (DESIGN.md §7): every setting the code reads has a row in
 * docs/configuration.md, every field of the jobs file has a row in its field tables, and no
 * setting or field has a row in two places across README.md, docs/ and bench/README.md.
 *
 * The settings the code reads are found in the source, not listed here: the keys of the settings
 * schema (src/config/settings.ts), every `env.NAME` / `process.env.NAME` / `env['NAME']` in src/,
 * and every setting built from a prefix (`PULSECHECK_SECRET_${…}` → `PULSECHECK_SECRET_<NAME>`).
 */
const CONFIGURATION = 'docs/configuration.md';
const DOCUMENTS = ['README.md', ...readdirSync('docs').filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`), 'bench/README.md'];
/** Variables of the operating system, not settings of Pulsecheck. */
const NOT_SETTINGS = new Set(['PATH', 'HOME']);

// --- what the code reads ---------------------------------------------------------------------

const sourceFiles = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? sourceFiles(join(dir, entry.name)) : entry.name.endsWith('.ts') ? [join(dir, entry.name)] : [],
  );

const parse = (file: string, text = readFileSync(file, 'utf8')): ts.SourceFile => ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);

function walk(node: ts.Node, visit: (node: ts.Node) => void): void {
  visit(node);
  node.forEachChild((child) => walk(child, visit));
}

/** The property names of `const settingsSchema = z.object({ … })`. */
export function schemaKeys(source: ts.SourceFile): string[] {
  const keys: string[] = [];
  walk(source, (node) => {
    if (!ts.isVariableDeclaration(node) || node.name.getText() !== 'settingsSchema' || !node.initializer) return;
    const call = node.initializer;
    if (!ts.isCallExpression(call) || call.expression.getText() !== 'z.object') return;
    const shape = call.arguments[0];
    if (!shape || !ts.isObjectLiteralExpression(shape)) return;
    for (const property of shape.properties) {
      if (property.name && (ts.isIdentifier(property.name) || ts.isStringLiteral(property.name))) keys.push(property.name.text);
    }
  });
  return keys;
}

/** `env`, `process.env`, `this.env`, `options.env`: an expression that is an environment. */
const isEnvironment = (node: ts.Expression): boolean =>
  (ts.isIdentifier(node) && node.text === 'env') || (ts.isPropertyAccessExpression(node) && node.name.text === 'env');

/** Names read from an environment, and `PREFIX_<NAME>` for settings built from a prefix. */
export function environmentReads(source: ts.SourceFile): string[] {
  const names: string[] = [];
  walk(source, (node) => {
    if (ts.isPropertyAccessExpression(node) && isEnvironment(node.expression)) names.push(node.name.text);
    if (ts.isElementAccessExpression(node) && isEnvironment(node.expression) && ts.isStringLiteralLike(node.argumentExpression)) {
      names.push(node.argumentExpression.text);
    }
    if (ts.isTemplateExpression(node) && /^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*_$/.test(node.head.text)) names.push(`${node.head.text}<NAME>`);
  });
  return names.filter((name) => !NOT_SETTINGS.has(name));
}

function settingsTheCodeReads(): string[] {
  const names = new Set(schemaKeys(parse('src/config/settings.ts')));
  for (const file of sourceFiles('src')) for (const name of environmentReads(parse(file))) names.add(name);
  return [...names].sort();
}

// --- what the documents say ------------------------------------------------------------------

interface Row {
  readonly file: string;
  readonly line: number;
  /** The table's header cells. */
  readonly header: readonly string[];
  /** The first cell when it is exactly one code span (`` `NAME` ``), else null. */
  readonly name: string | null;
}

interface Token {
  type: string;
  content: string;
  map: [number, number] | null;
  children: Token[] | null;
}

const markdown = new MarkdownIt();

/** Every body row of every table in a Markdown text. */
export function tableRows(file: string, text = readFileSync(file, 'utf8')): Row[] {
  const tokens = markdown.parse(text, {}) as unknown as Token[];
  const rows: Row[] = [];
  let header: string[] = [];
  let inHead = false;
  let cells: Token[] | undefined;
  let line = 0;
  for (const token of tokens) {
    if (token.type === 'thead_open') [inHead, header] = [true, []];
    else if (token.type === 'thead_close') inHead = false;
    else if (token.type === 'tr_open') [cells, line] = [[], (token.map?.[0] ?? 0) + 1];
    else if (token.type === 'inline' && cells) cells.push(token);
    else if (token.type === 'tr_close' && cells) {
      if (inHead) header = cells.map((c) => c.content.trim());
      else {
        const parts = (cells[0]?.children ?? []).filter((c) => !(c.type === 'text' && c.content.trim() === ''));
        const name = parts.length === 1 && parts[0]?.type === 'code_inline' ? parts[0].content : null;
        rows.push({ file, line, header, name });
      }
      cells = undefined;
    }
  }
  return rows;
}

/** A setting's name: upper-case letters and `_` (`DD_API_KEY`, `AzureWebJobsStorage__clientId`, `PULSECHECK_SECRET_<NAME>`). */
const isSettingName = (name: string): boolean => /^[A-Za-z][A-Za-z0-9_.]*(?:<[A-Z]+>)?$/.test(name) && /[A-Z]/.test(name) && name.includes('_');

/** Names with a row in more than one place, each with where. */
function duplicates(rows: readonly Row[]): Record<string, string[]> {
  const where = new Map<string, string[]>();
  for (const row of rows) if (row.name) where.set(row.name, [...(where.get(row.name) ?? []), `${row.file}:${row.line}`]);
  return Object.fromEntries([...where].filter(([, places]) => places.length > 1));
}

// --- the jobs file's fields ------------------------------------------------------------------

const unwrap = (schema: z.ZodType): z.ZodType => (schema instanceof z.ZodOptional ? unwrap(schema.unwrap() as z.ZodType) : schema);

/**
 * The documented paths of an object schema's fields: `key`, or `key.sub` for each field of an object
 * (`retry.maxAttempts`), or both for `false | object` (`circuitBreaker`, `circuitBreaker.failureThreshold`).
 * A discriminated union (`auth`) is one field: its variants have a table of their own.
 */
export function fieldPaths(shape: Record<string, z.ZodType>): string[] {
  return Object.entries(shape).flatMap(([key, field]) => {
    const schema = unwrap(field);
    const sub = (object: z.ZodObject) => Object.keys(object.shape).map((name) => `${key}.${name}`);
    if (schema instanceof z.ZodObject) return sub(schema);
    if (schema instanceof z.ZodUnion && !(schema instanceof z.ZodDiscriminatedUnion)) {
      const objects = (schema.options as z.ZodType[]).filter((o): o is z.ZodObject => o instanceof z.ZodObject);
      return [key, ...objects.flatMap(sub)];
    }
    return [key];
  });
}

const jobSchema = (jobsFileSchema.shape.jobs as z.ZodArray<z.ZodObject>).element;
const FIELD_TABLES = {
  // `defaults` is documented as one field: it takes the job's fields.
  'top-level field': Object.keys(jobsFileSchema.shape),
  field: fieldPaths(jobSchema.shape as Record<string, z.ZodType>),
};
/** The header of a table of the jobs file's fields: `| field | type | default | meaning |`. */
const fieldTable = (row: Row): keyof typeof FIELD_TABLES | null =>
  row.header.length === 4 && row.header.slice(1).join('|') === 'type|default|meaning' && row.header[0] && row.header[0] in FIELD_TABLES
    ? (row.header[0] as keyof typeof FIELD_TABLES)
    : null;

// --- the tests -------------------------------------------------------------------------------

const rows = DOCUMENTS.flatMap((file) => tableRows(file));
const settings = settingsTheCodeReads();

describe('settings: docs/configuration.md documents each setting the code reads, once', () => {
  const configured = new Set(rows.filter((r) => r.file === CONFIGURATION).map((r) => r.name));

  it('finds the settings in the source: the schema, other environment reads, prefixes', () => {
    expect(settings).toEqual(expect.arrayContaining(['PULSECHECK_TICK_SCHEDULE', 'AzureWebJobsStorage__accountName', 'DD_TRACE_AGENT_PORT', 'DD_SERVICE', 'AzureWebJobsScriptRoot', 'PULSECHECK_SECRET_<NAME>']));
    expect(settings).not.toContain('PATH');
  });

  it.each(settings)('%s has a row in docs/configuration.md', (setting) => {
    expect(configured.has(setting), `add a row for ${setting} to the settings table of ${CONFIGURATION}`).toBe(true);
  });

  it('has one row per setting across README.md, docs/ and bench/README.md', () => {
    expect(duplicates(rows.filter((r) => r.name && isSettingName(r.name)))).toEqual({});
  });
});

describe('fields: docs/configuration.md documents each field of the jobs file, once', () => {
  const documented = rows.filter((r) => fieldTable(r) !== null);

  it.each(Object.entries(FIELD_TABLES))('each %s of the schema has exactly one row, and no row names a field the schema lacks', (table, paths) => {
    const inTable = documented.filter((r) => fieldTable(r) === table);
    expect(inTable.every((r) => r.file === CONFIGURATION), 'job fields are documented in docs/configuration.md only').toBe(true);
    const names = inTable.map((r) => r.name ?? `(row without a code name at ${r.file}:${r.line})`);
    expect([...names].sort()).toEqual([...paths].sort());
  });
});

describe('the checker itself', () => {
  it('reads schema keys, environment reads and prefixes from source text', () => {
    const source = parse(
      'x.ts',
      [
        'const settingsSchema = z.object({ A_ONE: z.string(), "B_TWO": z.string() });',
        'const a = process.env.C_THREE ?? env.D_FOUR ?? this.env["E_FIVE"] ?? process.env.PATH;',
        'const s = `F_SIX_${name}`;',
      ].join('\n'),
    );
    expect(schemaKeys(source)).toEqual(['A_ONE', 'B_TWO']);
    expect(environmentReads(source).sort()).toEqual(['C_THREE', 'D_FOUR', 'E_FIVE', 'F_SIX_<NAME>']);
  });

  it('finds a setting with two rows, and ignores rows that are not one code span', () => {
    const text = ['| setting | default |', '|---|---|', '| `X_ONE` | 1 |', '| any `X_ONE` | 2 |', '', '| s | v |', '|---|---|', '| `X_ONE` | 3 |'].join('\n');
    const found = tableRows('t.md', text);
    expect(found.map((r) => r.name)).toEqual(['X_ONE', null, 'X_ONE']);
    expect(duplicates(found)).toEqual({ X_ONE: ['t.md:3', 't.md:8'] });
  });

  it('lists nested and optional fields by their documented paths', () => {
    const shape = { a: z.string(), b: z.strictObject({ c: z.number() }).optional(), d: z.union([z.literal(false), z.object({ e: z.number() })]) };
    expect(fieldPaths(shape)).toEqual(['a', 'b.c', 'd', 'd.e']);
  });
});
