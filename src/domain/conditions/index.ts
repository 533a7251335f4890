export * from './ast.js';
export { MAX_CONDITION_LENGTH, needsBody, parseCondition, toNumber } from './parse.js';
export { evaluateConditions, describeResult, type ConditionContext } from './evaluate.js';
export { globParts, matchGlob } from './glob.js';
export { MAX_EVALUATED_LENGTH, MAX_SHOWN_LENGTH, type Comparison } from './view.js';
