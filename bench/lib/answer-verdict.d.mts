// Types for answer-verdict.mjs, so the TypeScript tests can import it.
export interface AnswerTally {
  expectStatus: number;
  statusCounts: Record<string, number>;
  socketErrors?: number;
  timeouts?: number;
  bodiesChecked: number;
  bodiesFailed: number;
  firstBadBody?: string;
}
export function answerVerdict(tally: AnswerTally): { ok: number; other: number; clean: boolean; problems: string[] };
