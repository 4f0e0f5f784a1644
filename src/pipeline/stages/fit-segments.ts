import type { Plan, SegmentPlan } from '../../planning/types.js';

/**
 * A plan with exactly `count` segments, for a job that asked for a total duration: extra segments are
 * merged into the last kept one (their prompts joined, cut to the backend's limit); missing ones
 * continue the last.
 */
export function fitSegments(plan: Plan, count: number, maxPromptLength: number): Plan {
  if (plan.segments.length === count || plan.segments.length === 0) return plan;
  const cut = (text: string) => [...text].slice(0, maxPromptLength).join('');
  const segments: SegmentPlan[] = [];
  for (let i = 0; i < count; i += 1) {
    const from = Math.floor((i * plan.segments.length) / count);
    const to = Math.max(from + 1, Math.floor(((i + 1) * plan.segments.length) / count));
    const group = plan.segments.slice(from, to);
    const source = group[0] ?? plan.segments[plan.segments.length - 1]!;
    segments.push({
      segment: i + 1,
      videoPrompt: cut(group.map((s) => s.videoPrompt).join(' ')),
      keyframePrompt: group[group.length - 1]?.keyframePrompt ?? source.keyframePrompt,
    });
  }
  return { reasoning: `${plan.reasoning} (fitted to ${count} segment${count === 1 ? '' : 's'})`, segments };
}
