/**
 * CSV (RFC 4180): a header row, then one row per record, CRLF line ends. A field holding a comma,
 * quote or line break is quoted; one starting with `=`, `+`, `-`, `@`, tab or CR is prefixed with `'`
 * so a spreadsheet does not run it as a formula. `null` and `undefined` are empty fields.
 */
export function toCsv<K extends string>(columns: readonly K[], records: ReadonlyArray<Readonly<Record<K, string | number | boolean | null | undefined>>>): string {
  const row = (values: ReadonlyArray<string | number | boolean | null | undefined>) => values.map(field).join(',');
  return [row(columns), ...records.map((r) => row(columns.map((c) => r[c])))].map((line) => `${line}\r\n`).join('');
}

function field(value: string | number | boolean | null | undefined): string {
  if (value === null || value === undefined) return '';
  let text = String(value);
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}
