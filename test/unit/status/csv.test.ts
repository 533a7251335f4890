import { describe, expect, it } from 'vitest';
import { toCsv } from '../../../src/domain/csv.js';

describe('toCsv', () => {
  it.each([
    ['plain text and numbers', { a: 'shop', b: 99.999 }, 'shop,99.999'],
    ['null and undefined are empty', { a: null, b: undefined }, ','],
    ['a comma is quoted', { a: 'a,b', b: 1 }, '"a,b",1'],
    ['a quote is doubled and quoted', { a: 'say "hi"', b: 1 }, '"say ""hi""",1'],
    ['a line break is quoted', { a: 'two\nlines', b: 1 }, '"two\nlines",1'],
    ['a formula is defused', { a: '=HYPERLINK("x")', b: 1 }, '"\'=HYPERLINK(""x"")",1'],
    ['a leading minus in text is defused, a negative number is not', { a: '-1', b: -1 }, "'-1,-1"],
    ['booleans', { a: true, b: false }, 'true,false'],
  ])('%s', (_what, record, line) => {
    expect(toCsv(['a', 'b'], [record])).toBe(`a,b\r\n${line}\r\n`);
  });

  it('no records: the header only', () => {
    expect(toCsv(['job', 'uptimePct'], [])).toBe('job,uptimePct\r\n');
  });
});
