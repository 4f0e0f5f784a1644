// The storyboard card as an ffmpeg filtergraph: a background in the prompt's palette, a simple motion
// layer (falling snow, rain, rising embers, twinkling lights, waves, or a drifting gradient), a dark
// panel with "Segment N · start–end" and the prompt wrapped over several lines. Texts are passed as
// files (textfile=) so that no prompt character has to survive filtergraph escaping.
import { createHash } from 'node:crypto';
import { escapeFilterValue } from '../../media/filter-escape.js';
import type { Motion, PromptLook } from './prompt-look.js';
import { wrapText } from './wrap-text.js';

export interface CardLayout {
  width: number;
  height: number;
  fps: number;
  font: string;
  /** Files the caller writes before running ffmpeg (caption and particle field). */
  captionFile: string;
  particleFile: string;
}

export interface CardTexts {
  header: string;
  caption: string;
  particles: string;
}

/** "0:05" or "1:02.5": the segment's place in the final video. */
export function clock(seconds: number): string {
  const m = Math.floor(seconds / 60);
  const s = seconds - m * 60;
  const whole = Math.abs(s - Math.round(s)) < 1e-6;
  const ss = whole ? String(Math.round(s)).padStart(2, '0') : s.toFixed(1).padStart(4, '0');
  return `${m}:${ss}`;
}

const GLYPHS: Record<Motion, string> = { fall: '*', rain: '|', rise: '·', twinkle: '+', sway: '~', drift: '' };

/** A deterministic field of particle glyphs, written twice over so that a scroll by half its height loops. */
function particleField(motion: Motion, seedText: string, columns: number, rows: number): string {
  const glyph = GLYPHS[motion];
  if (!glyph) return ' ';
  const bytes = createHash('sha256').update(seedText).digest();
  const lines: string[] = [];
  for (let r = 0; r < rows; r += 1) {
    let line = '';
    for (let c = 0; c < columns; c += 1) {
      const b = bytes[(r * 31 + c * 7) % bytes.length]! ^ ((r * 131 + c * 17) & 0xff);
      line += motion === 'sway' ? (r % 2 === 0 && b % 3 !== 0 ? glyph : ' ') : b % 11 === 0 ? glyph : ' ';
    }
    lines.push(line.trimEnd() || ' ');
  }
  return [...lines, ...lines].join('\n');
}

export function cardTexts(
  look: PromptLook,
  prompt: string,
  segment: number,
  startSeconds: number,
  durationSeconds: number,
  layout: Pick<CardLayout, 'width' | 'height'>,
): CardTexts {
  const sizes = cardSizes(layout.width, layout.height);
  const columns = Math.max(8, Math.floor((layout.width * 0.8) / (sizes.caption * 0.6)));
  const maxLines = Math.max(2, Math.floor((layout.height * 0.46) / (sizes.caption + sizes.spacing)));
  const caption = wrapText(prompt, columns, maxLines).join('\n') || ' ';
  const header = `Segment ${segment} · ${clock(startSeconds)}–${clock(startSeconds + durationSeconds)}`;
  const particleColumns = Math.ceil((layout.width * 1.2) / (sizes.particle * 0.6));
  return { header, caption, particles: particleField(look.motion, `${segment}:${prompt}`, particleColumns, 12) };
}

function cardSizes(width: number, height: number) {
  const base = Math.min(height, width * 0.75);
  return {
    caption: Math.max(8, Math.round(base / 13)),
    header: Math.max(7, Math.round(base / 17)),
    footer: Math.max(6, Math.round(base / 28)),
    particle: Math.max(8, Math.round(base / 16)),
    spacing: Math.max(1, Math.round(base / 60)),
  };
}

/** Per-motion position and opacity expressions of the particle layer (drawtext evaluates them per frame). */
function motionExpressions(motion: Motion, height: number): { x: string; y: string; alpha: string } {
  switch (motion) {
    case 'fall':
      return { x: '-10', y: `mod(t*${Math.round(height / 5)},th/2)-th/2`, alpha: '0.8' };
    case 'rain':
      return { x: '-10', y: `mod(t*${Math.round(height * 1.5)},th/2)-th/2`, alpha: '0.55' };
    case 'rise':
      return { x: '-10', y: `-mod(t*${Math.round(height / 6)},th/2)`, alpha: '0.8' };
    case 'twinkle':
      return { x: '-10', y: '-10', alpha: '0.3+0.7*abs(sin(PI*t*0.7))' };
    case 'sway':
      return { x: '-w*0.1+w*0.04*sin(2*PI*t/3)', y: 'h*0.58', alpha: '0.55' };
    case 'drift':
      return { x: '0', y: '0', alpha: '0' };
  }
}

/**
 * The card's filter chain, from no input to the label `[card]`. The background is rendered at a
 * quarter of the size and scaled up: it is a soft gradient, and this keeps a clip cheap to render.
 */
export function cardFilter(look: PromptLook, texts: CardTexts, layout: CardLayout, seed: number): string {
  const { width, height, fps } = layout;
  const sizes = cardSizes(width, height);
  const font = escapeFilterValue(layout.font);
  const smallW = Math.max(16, Math.round(width / 8) * 2);
  const smallH = Math.max(16, Math.round(height / 8) * 2);
  const speed = look.motion === 'drift' ? 0.02 : 0.006;
  const m = motionExpressions(look.motion, height);
  const panelY = Math.round(height * 0.18);
  const panelH = Math.round(height * 0.66);
  const steps = [
    `gradients=s=${smallW}x${smallH}:r=${fps}:c0=${look.colors[0]}:c1=${look.colors[1]}:x0=0:y0=0:x1=${Math.round(smallW / 3)}:y1=${smallH}:speed=${speed}:seed=${seed}`,
    `scale=${width}:${height}:flags=bilinear`,
    'format=yuv420p',
  ];
  if (look.motion !== 'drift') {
    steps.push(
      `drawtext=fontfile=${font}:textfile=${escapeFilterValue(layout.particleFile)}:expansion=none:fontsize=${sizes.particle}:fontcolor=${look.accent}:alpha=${escapeFilterValue(m.alpha)}:x=${escapeFilterValue(m.x)}:y=${escapeFilterValue(m.y)}`,
    );
  }
  steps.push(
    `drawbox=x=${Math.round(width * 0.06)}:y=${panelY}:w=${Math.round(width * 0.88)}:h=${panelH}:color=black@0.55:t=fill`,
    `drawtext=fontfile=${font}:expansion=none:text=${escapeFilterValue(texts.header)}:fontsize=${sizes.header}:fontcolor=white@0.85:x=(w-tw)/2:y=${panelY + Math.round(sizes.header * 0.6)}`,
    `drawtext=fontfile=${font}:textfile=${escapeFilterValue(layout.captionFile)}:expansion=none:fontsize=${sizes.caption}:line_spacing=${sizes.spacing}:fontcolor=white:x=(w-tw)/2:y=${panelY + Math.round(sizes.header * 2)}+(${panelH - Math.round(sizes.header * 2)}-th)/2`,
    `drawtext=fontfile=${font}:expansion=none:text=${escapeFilterValue('offline preview · ttv')}:fontsize=${sizes.footer}:fontcolor=white@0.6:x=w-tw-${Math.round(width * 0.03)}:y=h-th-${Math.round(height * 0.03)}`,
  );
  return `${steps.join(',')}[card]`;
}
