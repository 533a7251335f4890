import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import GithubSlugger from 'github-slugger';
import MarkdownIt from 'markdown-it';
import { describe, expect, it } from 'vitest';
import { CLI } from '../support/host.js';

/**
 * The operator's documentation stays true: every relative link in README.md, docs/ and
 * bench/README.md points at a file that exists (and, for `#anchor`, at a heading of that file), and
 * every command they — and the Jenkinsfile — tell someone to run exists: `npm run X` scripts,
 * `npx pulsecheck <command>` commands and their flags, `node <file>` scripts. External links are
 * not fetched (no network).
 */
const markdown = new MarkdownIt();
const DOCS = ['README.md', ...readdirSync('docs').filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`), 'bench/README.md'];
const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: Record<string, string> };

interface Token {
  type: string;
  tag: string;
  content: string;
  info: string;
  attrGet(name: string): string | null;
  children: Token[] | null;
}

const tokensOf = (file: string): Token[] => markdown.parse(readFileSync(file, 'utf8'), {}) as unknown as Token[];
const flat = (tokens: Token[]): Token[] => tokens.flatMap((t) => [t, ...flat(t.children ?? [])]);

function links(file: string): string[] {
  return flat(tokensOf(file))
    .filter((t) => t.type === 'link_open')
    .map((t) => t.attrGet('href') ?? '');
}

function anchors(file: string): Set<string> {
  const slugger = new GithubSlugger();
  const tokens = tokensOf(file);
  const slugs = tokens
    .map((t, i) => (t.type === 'heading_open' ? (tokens[i + 1]?.children ?? []).map((c) => c.content).join('') : null))
    .filter((text): text is string => text !== null)
    .map((text) => slugger.slug(text));
  return new Set(slugs);
}

/** Shell text the documents show: fenced code blocks (not JSON or Kusto) and inline code. */
function shellText(file: string): string[] {
  return flat(tokensOf(file))
    .filter((t) => (t.type === 'fence' && !/^(json|kusto)/.test(t.info)) || t.type === 'code_inline')
    .map((t) => t.content);
}

/** Commands in a piece of shell text, one per `npm …`, `npx pulsecheck …` or `node <file>`. */
function commands(text: string): string[] {
  return [...text.matchAll(/\b(npm (?:run [\w:-]+|start|test|install|ci)|npx pulsecheck [^\n|`;&)]*|node (?:scripts|dist|bench)\/[\w./-]+)/g)].map(
    (m) => (m[1] as string).trim(),
  );
}

// `pulsecheck --help` without a command prints the usage on stderr (exit 2).
const help = spawnSync(process.execPath, [CLI, '--help'], { encoding: 'utf8' });
const usage = help.stdout + help.stderr;
const cliCommands = new Map(
  [...usage.matchAll(/^ {2}pulsecheck (\w+)(.*)$/gm)].map((m) => [m[1] as string, [...(m[2] as string).matchAll(/--[\w-]+/g)].map((f) => f[0])]),
);

function problemWith(command: string): string | null {
  const [tool, ...rest] = command.split(/\s+/);
  if (tool === 'node') return existsSync(rest[0] ?? '') ? null : `${rest[0]} does not exist`;
  if (tool === 'npm') {
    const script = rest[0] === 'run' ? rest[1] : rest[0];
    if (rest[0] === 'install' || rest[0] === 'ci') return null;
    return script && pkg.scripts[script] ? null : `package.json has no script "${script}"`;
  }
  const [sub, ...args] = rest.slice(1);
  const flags = cliCommands.get(sub ?? '');
  if (!flags) return `pulsecheck has no command "${sub}" (it has ${[...cliCommands.keys()].join(', ')})`;
  const unknown = args.filter((a) => a.startsWith('--') && !flags.includes(a.split('=')[0] as string));
  return unknown.length ? `pulsecheck ${sub} has no option ${unknown.join(', ')}` : null;
}

describe('documentation links', () => {
  it('links the README to every document under docs/ and to bench/README.md', () => {
    const readme = links('README.md');
    for (const doc of DOCS.filter((d) => d !== 'README.md')) expect(readme, doc).toContain(doc);
  });

  it.each(DOCS)('%s: every relative link points at an existing file and heading', (file) => {
    const broken: string[] = [];
    for (const href of links(file)) {
      if (/^[a-z]+:/i.test(href)) {
        if (!URL.canParse(href)) broken.push(`${href}: not a valid URL`);
        continue;
      }
      const [path, anchor] = href.split('#') as [string, string | undefined];
      const target = path === '' ? file : normalize(join(dirname(file), decodeURIComponent(path)));
      if (!existsSync(target)) {
        broken.push(`${href}: ${target} does not exist`);
        continue;
      }
      if (anchor && target.endsWith('.md') && !anchors(target).has(anchor)) broken.push(`${href}: ${target} has no heading #${anchor}`);
      if (anchor && !target.endsWith('.md') && statSync(target).isDirectory()) broken.push(`${href}: anchor on a directory`);
    }
    expect(broken).toEqual([]);
  });
});

describe('documented commands', () => {
  const sources = [...DOCS.map((file) => ({ file, texts: shellText(file) })), { file: 'Jenkinsfile', texts: [readFileSync('Jenkinsfile', 'utf8')] }];

  it('knows the CLI commands from its own usage text', () => {
    expect([...cliCommands.keys()].sort()).toEqual(['run', 'schema', 'start', 'validate']);
  });

  it.each(sources)('$file: every npm script, pulsecheck command and node script it names exists', ({ file, texts }) => {
    const found = texts.flatMap(commands);
    if (file === 'README.md' || file === 'Jenkinsfile') expect(found.length, `${file} names no command`).toBeGreaterThan(3);
    const problems = found.map((c) => ({ c, problem: problemWith(c) })).filter((p) => p.problem !== null);
    expect(problems).toEqual([]);
  });

  it('rejects what does not exist (the checker itself works)', () => {
    expect(problemWith('npm run nope')).toBe('package.json has no script "nope"');
    expect(problemWith('npx pulsecheck deploy')).toMatch(/^pulsecheck has no command "deploy"/);
    expect(problemWith('npx pulsecheck run job --frobnicate')).toBe('pulsecheck run has no option --frobnicate');
    expect(problemWith('node scripts/nope.js')).toBe('scripts/nope.js does not exist');
    expect(commands('see `npm run lint` and npx pulsecheck validate jobs.json | jq')).toEqual(['npm run lint', 'npx pulsecheck validate jobs.json']);
  });
});
