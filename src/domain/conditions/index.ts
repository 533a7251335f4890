export * from './ast.js';
export { needsBody, parseCondition, toNumber } from './parse.js';
export { evaluateConditions, describeResult, type ConditionContext } from './evaluate.js';
