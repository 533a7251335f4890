import { readFileSync } from 'node:fs';
import { Copy, DockerfileParser, Env, From, type Instruction } from 'dockerfile-ast';

/** One build stage of a Dockerfile: its base, its name (`AS name`) and its instructions. */
export interface Stage {
  readonly name: string | null;
  /** The image or earlier stage it starts from. */
  readonly base: string;
  readonly instructions: readonly Instruction[];
}

export interface CopyStep {
  /** `--from=` value, or null when copying from the build context. */
  readonly from: string | null;
  readonly sources: readonly string[];
  readonly destination: string;
}

/** The Dockerfile parsed by dockerfile-ast (the parser of dockerfile-utils), split into stages. */
export function readStages(path = 'Dockerfile'): Stage[] {
  const stages: Array<{ name: string | null; base: string; instructions: Instruction[] }> = [];
  for (const instruction of DockerfileParser.parse(readFileSync(path, 'utf8')).getInstructions()) {
    if (instruction instanceof From) {
      stages.push({ name: instruction.getBuildStage(), base: instruction.getImage() ?? '', instructions: [] });
    } else {
      stages.at(-1)?.instructions.push(instruction);
    }
  }
  return stages;
}

export function stage(stages: readonly Stage[], name: string): Stage {
  const found = stages.find((s) => s.name === name);
  if (!found) throw new Error(`the Dockerfile has no stage "${name}"`);
  return found;
}

/** A stage and the earlier stages it is built on, the root (an external image) first. */
export function lineage(stages: readonly Stage[], target: Stage): Stage[] {
  const parent = stages.find((s) => s.name !== null && s.name === target.base);
  return parent ? [...lineage(stages, parent), target] : [target];
}

export const keyword = (stage: Stage, word: string): Instruction[] =>
  stage.instructions.filter((i) => i.getKeyword() === word);

export function copies(stage: Stage): CopyStep[] {
  return stage.instructions
    .filter((i): i is Copy => i instanceof Copy)
    .map((copy) => {
      const args = copy.getArguments().map((a) => a.getValue());
      return { from: copy.getFromFlag()?.getValue() ?? null, sources: args.slice(0, -1), destination: args.at(-1) ?? '' };
    });
}

/** ENV values set along a lineage, later stages winning. */
export function environment(stages: readonly Stage[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const s of stages) {
    for (const i of s.instructions) {
      if (i instanceof Env) for (const p of i.getProperties()) env[p.getName()] = p.getValue() ?? '';
    }
  }
  return env;
}

/** The `WORKDIR` a stage ends in (absolute paths only, as the lint demands). */
export function workdir(stage: Stage): string {
  const dirs = keyword(stage, 'WORKDIR').map((i) => i.getArgumentsContent() ?? '');
  return dirs.at(-1) ?? '/';
}
