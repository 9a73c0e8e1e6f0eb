/** One line of `exec --compare A,B --json`: both backends' answers side by side (src/real/compare.ts). */
export interface Paired {
  line: number;
  op: string;
  verdict: string;
  differs: string[];
  a: Record<string, unknown> | null;
  b: Record<string, unknown> | null;
}
