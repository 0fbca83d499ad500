// The package entry (`import { FerryPlugin, startMigration } from 'ferry'`): the worker plugin and the typed
// client helpers. Workflows come from 'ferry/workflow' (workflows/index.ts), which an embedder's own workflows
// module re-exports, so the workflow bundle never pulls in activity code.
export { FerryPlugin, type FerryPluginOptions } from '../worker/plugin.js';
export type { ActivityDeps, FerryActivities } from '../activities/index.js';
export {
  ensureSearchAttributes,
  migrationJob,
  newJobId,
  resumeMigration,
  startMigration,
  type MigrationJob,
  type MigrationWorkflowHandle,
  type StartMigrationOptions,
} from './client.js';
export type { ResumePlan } from '../common/resume.js';
export { DEFAULT_TASK_QUEUE, QueryName, SignalName, UpdateName, WorkflowType } from '../common/queues.js';
export type {
  MigrationInput,
  MigrationReport,
  Progress,
  SetOptionsInput,
  Totals,
} from '../common/schemas.js';
