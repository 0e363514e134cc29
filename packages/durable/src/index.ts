export { openStore, StoreState, type OpenStoreSteps, type StoreErrors } from './lifecycle.js'
export { Poison } from './poison.js'
export {
  integerOption,
  oneOfOption,
  booleanOption,
  functionOption,
  describeValue,
  optionKeys,
  OptionKeys,
  type InvalidFactory,
} from './options.js'
export { DurableAppendFile, type AppendFileOptions, type InlineWriter, type NextFile } from './append-file.js'
export { openInlineWriter } from './inline-writer.js'
export {
  GroupCommit,
  DEFAULT_SCHEDULING,
  type GroupCommitHooks,
  type GroupCommitOptions,
  type PendingRequest,
  type SchedulingPolicy,
} from './group-commit.js'
export { QueueBudget, queueLimitOptions, type QueueLimits, type OverloadedFactory } from './queue-budget.js'
export { RECOVERY_MODES, type RecoveryMode, type RecoveryActionKind } from './recovery-mode.js'
