export { checkListAppend, FORBIDDEN_ANOMALIES } from './list-append.js'
export type { CheckOptions } from './list-append.js'
export { arbListAppendPlans, ListAppendRecorder } from './workload.js'
export type { ListAppendArbitraryOptions, ListAppendPlan } from './workload.js'
export type {
  Anomaly,
  AnomalyType,
  CheckResult,
  ConsistencyModel,
  DependencyEdge,
  EdgeType,
  ListAppendOp,
  ListAppendTxn,
} from './types.js'
