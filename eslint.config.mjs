import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// Import directions. Arrows point down: client/ and worker/ (the entry points) use activities/,
// workflows/, connectors/, mappings/ and common/; activities use connectors, mappings, common and the
// shared names in workflows/definitions.ts; workflows run deterministic code only; mappings are pure;
// common/ is the bottom. Nothing in production imports scripts/, bench/, chaos/ or test/, and only
// the connectors' simulators use the shared harness in simulators/. test/tooling/import-layers.test.ts
// checks these rules refuse what they should.
//
// Each pattern matches the import path as written (relative, any depth: `../`, `../../`).
const UP = '^(\\.\\./)+';
const folders = (...names) => `${UP}(${names.join('|')})(/|$)`;

const DEV_ONLY = {
  regex: folders('scripts', 'bench', 'chaos', 'test'),
  message: 'Production code never imports scripts/, bench/, chaos/ or test/: move what it needs to common/.',
};
const SIMULATORS = { regex: folders('simulators'), message: 'Only the connectors\' simulators use the simulator harness.' };
const CONNECTOR_DOUBLES = {
  regex: `${UP}connectors/[^/]+/(simulator[^/]*|demo-data)$`,
  message: 'Simulators and demo data are for tests and the local stack, not production code.',
};
const WORKFLOW_MODULES = {
  regex: `${UP}workflows(?!/definitions$)(/|$)`,
  message: 'Import workflow names and types from workflows/definitions.ts, never a workflow module.',
};
const ENTRY_POINTS = { regex: folders('client', 'worker'), message: 'client/ and worker/ are entry points: nothing below them imports them.' };

// Workflow code is bundled and replayed: no I/O, nothing that reaches one.
const NO_IO_PACKAGES = {
  regex: '^(node:.*|fs|http|https|net|child_process|crypto|undici|pino|pino-pretty|fastify|prom-client|@temporalio/(client|worker|activity|testing))(/.*)?$',
  message: 'Workflow code is deterministic: no I/O.',
};
const WORKFLOW_SAFE_COMMON = {
  regex: `${UP}common/(?!(errors|search-attributes|task-queues)$)`,
  allowTypeImports: true,
  message: 'Workflow code uses only the workflow-safe common modules (errors, search-attributes, task-queues); the others do I/O.',
};
const CONNECTOR_CLIENTS = {
  regex: `${UP}connectors/[^/]+/(client|simulator[^/]*|demo-data)$`,
  message: 'Workflow code never imports a connector\'s client (I/O belongs in activities), simulator or demo data.',
};

const restrict = (...patterns) => ({ 'no-restricted-imports': ['error', { patterns }] });

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', '.temporal/**', '.data/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.js'],
    languageOptions: { sourceType: 'commonjs', globals: { require: 'readonly', module: 'writable', process: 'readonly', console: 'readonly', __dirname: 'readonly' } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    files: ['client/**/*.ts'],
    rules: restrict(DEV_ONLY, SIMULATORS, CONNECTOR_DOUBLES),
  },
  {
    files: ['worker/**/*.ts'],
    rules: restrict(DEV_ONLY, SIMULATORS, CONNECTOR_DOUBLES, { regex: folders('client'), message: 'The worker does not import the receiver or the CLI.' }),
  },
  {
    files: ['activities/**/*.ts'],
    rules: restrict(DEV_ONLY, SIMULATORS, CONNECTOR_DOUBLES, WORKFLOW_MODULES, ENTRY_POINTS),
  },
  {
    files: ['common/**/*.ts'],
    rules: restrict(DEV_ONLY, SIMULATORS, WORKFLOW_MODULES, ENTRY_POINTS, {
      regex: folders('activities', 'connectors', 'mappings'),
      message: 'common/ is the bottom layer: it imports no activity, connector or mapping.',
    }),
  },
  {
    files: ['connectors/**/*.ts'],
    ignores: ['connectors/*/simulator*.ts', 'connectors/*/demo-data.ts'],
    rules: restrict(
      DEV_ONLY,
      SIMULATORS,
      { regex: '^(\\./|\\.\\./[^/]+/)(simulator[^/]*|demo-data)$', message: 'A connector\'s client, schemas and limits never import a simulator or demo data.' },
      WORKFLOW_MODULES,
      ENTRY_POINTS,
      { regex: folders('activities', 'mappings'), message: 'Connectors sit below activities and mappings: they import neither.' },
    ),
  },
  {
    // The connectors' simulators and demo data: test doubles on the shared harness.
    files: ['connectors/*/simulator*.ts', 'connectors/*/demo-data.ts'],
    rules: restrict(DEV_ONLY, WORKFLOW_MODULES, ENTRY_POINTS, { regex: folders('activities', 'mappings'), message: 'Connectors sit below activities and mappings: they import neither.' }),
  },
  {
    files: ['mappings/**/*.ts'],
    rules: restrict(
      NO_IO_PACKAGES,
      DEV_ONLY,
      SIMULATORS,
      CONNECTOR_CLIENTS,
      { ...WORKFLOW_SAFE_COMMON, message: 'Mappings are pure (workflows run them): only the workflow-safe common modules (errors, search-attributes, task-queues).' },
      { regex: folders('activities', 'workflows', 'client', 'worker'), message: 'Mappings import only mappings, connector schemas and limits, and pure common helpers.' },
    ),
  },
  {
    files: ['workflows/**/*.ts'],
    rules: {
      ...restrict(
        NO_IO_PACKAGES,
        DEV_ONLY,
        SIMULATORS,
        CONNECTOR_CLIENTS,
        WORKFLOW_SAFE_COMMON,
        ENTRY_POINTS,
        { regex: folders('activities'), allowTypeImports: true, message: 'Call activities through proxyActivities; import their types only.' },
      ),
      'no-restricted-properties': ['error', { object: 'Date', property: 'now', message: 'Workflows are deterministic: use workflow time.' }, { object: 'Math', property: 'random', message: 'Workflows are deterministic.' }],
    },
  },
  {
    // The shared simulator harness: no import runs from it up to a connector or the code under test.
    files: ['simulators/**/*.ts'],
    rules: restrict(DEV_ONLY, { regex: folders('activities', 'workflows', 'connectors', 'mappings', 'client', 'worker'), message: 'The simulator harness imports no connector and no FieldBridge code.' }),
  },
  { rules: { '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', ignoreRestSiblings: true }] } },
);
