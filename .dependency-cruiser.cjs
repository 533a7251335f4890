/**
 * The import rules of DESIGN.md §2, enforced in CI (`npm run lint`).
 * @type {import('dependency-cruiser').IConfiguration}
 */
const layer = (name) => `^src/${name}`;

module.exports = {
  forbidden: [
    {
      name: 'domain-is-pure',
      comment:
        'domain/ imports only domain/, croner (pure schedule arithmetic) and ipaddr.js (pure address ' +
        'classification for the target guard, domain/network.ts): no I/O, no SDKs, no node: modules.',
      severity: 'error',
      from: { path: layer('domain/') },
      to: { pathNot: [layer('domain/'), '^node_modules/croner/', '^node_modules/ipaddr\\.js/'] },
    },
    {
      name: 'app-uses-ports-not-sdks',
      comment: 'app/ depends on domain/ and its own ports; cockatiel is its resilience library. No SDKs, no adapters.',
      severity: 'error',
      from: { path: layer('app/') },
      to: {
        pathNot: [layer('domain/'), layer('app/'), '^node_modules/cockatiel/'],
        dependencyTypesNot: ['core'],
      },
    },
    {
      name: 'config-is-edge-parsing',
      comment: 'config/ holds the zod schemas and parsers: domain/ and zod only.',
      severity: 'error',
      from: { path: layer('config/') },
      to: { pathNot: [layer('config/'), layer('domain/'), '^node_modules/zod/'] },
    },
    {
      name: 'adapters-are-independent',
      comment:
        'An adapter imports its SDK, the ports and the domain; never another adapter or the use cases. ' +
        'Except target-guard/: the one connector every adapter that connects to a user-given URL uses (issue 10).',
      severity: 'error',
      from: { path: '^src/adapters/([^/]+)/' },
      to: { path: ['^src/adapters/', layer('app/(?!ports/)'), layer('functions/'), layer('hosts/'), layer('cli/'), layer('composition')], pathNot: ['^src/adapters/$1/', '^src/adapters/target-guard/'] },
    },
    {
      name: 'functions-are-thin',
      comment: 'functions/ call use cases; they do not build adapters or know the hosts.',
      severity: 'error',
      from: { path: layer('functions/') },
      to: { path: [layer('adapters/'), layer('hosts/'), layer('cli/'), layer('composition')] },
    },
    {
      name: 'hosts-are-separate',
      comment: 'Each host stands alone over the registry and the composition root.',
      severity: 'error',
      from: { path: layer('hosts/(azure|local)/') },
      to: { path: [layer('cli/'), layer('adapters/'), layer('app/(?!ports/)')], dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'azure-host-not-local',
      severity: 'error',
      from: { path: layer('hosts/azure/') },
      to: { path: layer('hosts/local/') },
    },
    {
      name: 'local-host-not-azure',
      severity: 'error',
      from: { path: layer('hosts/local/') },
      to: { path: layer('hosts/azure/') },
    },
    {
      name: 'only-composition-builds-adapters',
      severity: 'error',
      comment: 'Except hosts/preload, which starts dd-trace before anything else loads (adapters/datadog/tracer.ts).',
      from: { pathNot: [layer('composition'), '^src/adapters/', '^src/hosts/preload\\.ts$'] },
      to: { path: layer('adapters/') },
    },
    { name: 'no-circular', severity: 'error', from: {}, to: { circular: true } },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default', 'types'] },
  },
};
