// Summarises a V8 CPU profile (`node --cpu-prof`, e.g. from BENCH_SCHEDULE_PROFILE) by area of the
// app: `node bench/profile.js <file.cpuprofile> [top]`. Two views, both as % of the busy samples
// (idle excluded):
// - self: the function the sample was in, by the area of its file;
// - charged: the same, but a sample in Node's own code (promises, timers, streams, net) or in native
//   code is charged to the nearest caller that belongs to an area, which tells whose work it was.
// Then the top functions by self time.
import { readFileSync } from 'node:fs';

const AREAS = [
  ['dispatcher', /\/dist\/app\/dispatcher|\/dist\/domain\/(plan|schedule)\.|\/node_modules\/croner\/|\/hosts\/local\/timerRunner/],
  ['policy', /\/node_modules\/cockatiel\/|\/dist\/app\/policy\./],
  ['undici', /\/node_modules\/undici\/|\/undici-prober\/|\/target-guard\//],
  ['conditions', /\/dist\/domain\/conditions\//],
  ['logging', /\/node_modules\/(pino|sonic-boom|thread-stream|pino-std-serializers|fast-redact|quick-format-unescaped)\/|\/log-telemetry\//],
  ['telemetry', /\/node_modules\/(prom-client|applicationinsights|@opentelemetry|@azure\/monitor-|dd-trace|@datadog)\/|\/dist\/adapters\/(prometheus|app-insights|datadog)\/|\/telemetryFanOut\./],
  ['storage', /\/dist\/adapters\/(memory-store|table-store)\/|\/node_modules\/@azure\/(data-tables|core-)/],
  ['check runner', /\/dist\/app\/(checkRunner|requestAuth|secrets)\.|\/dist\/domain\/(run|outcome|state|timings|redact|mask|network)\./],
  ['host and API', /\/dist\/(hosts|functions)\//],
];

function areaOf(frame) {
  const { url, functionName } = frame;
  if (functionName === '(garbage collector)') return 'garbage collector';
  if (functionName === '(idle)') return 'idle';
  if (!url) return 'native';
  for (const [area, pattern] of AREAS) if (pattern.test(url)) return area;
  if (url.startsWith('node:')) return 'node runtime';
  const pkg = /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
  return pkg ? `other: ${pkg[1]}` : `other: ${url.split('/').slice(-2).join('/')}`;
}

const [file, top = '15'] = process.argv.slice(2);
const profile = JSON.parse(readFileSync(file, 'utf8'));
const byId = new Map(profile.nodes.map((node) => [node.id, node]));
const parent = new Map();
for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
const unowned = new Set(['node runtime', 'native']);

const self = new Map();
const charged = new Map();
const functions = new Map();
let busy = 0;
const add = (map, key, us) => map.set(key, (map.get(key) ?? 0) + us);
profile.samples.forEach((id, i) => {
  const us = profile.timeDeltas[i] ?? 0;
  const node = byId.get(id);
  const area = areaOf(node.callFrame);
  if (area === 'idle' || node.callFrame.functionName === '(program)') return;
  busy += us;
  add(self, area, us);
  const { functionName, url, lineNumber } = node.callFrame;
  add(functions, `${functionName || '(anonymous)'} ${url.replace(/^.*\/(node_modules|dist)\//, '')}:${lineNumber + 1} [${area}]`, us);
  let owner = area;
  for (let up = parent.get(id); unowned.has(owner) && up !== undefined; up = parent.get(up)) {
    const upArea = areaOf(byId.get(up).callFrame);
    if (!unowned.has(upArea) && upArea !== 'idle') owner = upArea;
  }
  add(charged, owner, us);
});

const pct = (us) => `${((us / busy) * 100).toFixed(1).padStart(5)} %`;
const sorted = (map) => [...map].sort((a, b) => b[1] - a[1]);
console.log(`${file}: ${(busy / 1e3).toFixed(0)} ms busy ((program) and idle excluded)`);
console.log('\narea                    self   charged');
const charge = new Map(charged);
for (const [area, us] of sorted(self)) console.log(`${area.padEnd(22)} ${pct(us)}  ${pct(charge.get(area) ?? 0)}`);
for (const [area, us] of sorted(charged)) if (!self.has(area)) console.log(`${area.padEnd(22)} ${pct(0)}  ${pct(us)}`);
console.log(`\ntop ${top} functions by self time`);
for (const [name, us] of sorted(functions).slice(0, Number(top))) console.log(`${pct(us)}  ${name}`);
