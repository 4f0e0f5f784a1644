// The storyboard card's look, chosen from the prompt's words so that a preview says at a glance what
// the segment is about: the first word of the table found in the prompt picks a palette and a motion;
// a prompt with none of them gets hash-derived colours and a slow drift. The table is documented in
// docs/offline-backend.md; keep the two in step.
import { visualSeed } from '../../procedural/visual-seed.js';

export type Motion = 'fall' | 'rain' | 'rise' | 'twinkle' | 'sway' | 'drift';

export interface PromptLook {
  /** Which table entry matched ("snow", "dusk", …), or "hash" when none did. */
  theme: string;
  /** Top and bottom background colours, 0xRRGGBB. */
  colors: [string, string];
  /** Colour of the particles or waves drawn by the motion. */
  accent: string;
  motion: Motion;
}

interface Entry {
  theme: string;
  words: RegExp;
  colors: [string, string];
  accent: string;
  motion: Motion;
}

// Order matters: the first entry whose words occur in the prompt wins ("snow at night" is snow).
export const LOOK_TABLE: readonly Entry[] = [
  {
    theme: 'snow',
    words: /\b(snow\w*|winter|ice|icy|frozen|frost\w*|blizzard)\b/i,
    colors: ['0xe3f0fb', '0x9cc3e6'],
    accent: 'white',
    motion: 'fall',
  },
  {
    theme: 'rain',
    words: /\b(rain\w*|storm\w*|drizzl\w*|thunder\w*)\b/i,
    colors: ['0x56687a', '0x1c2630'],
    accent: '0xc8d8e8',
    motion: 'rain',
  },
  {
    theme: 'fire',
    words: /\b(fire\w*|flame\w*|lava|volcano\w*|burn\w*|ember\w*|campfire)\b/i,
    colors: ['0xff5a1f', '0x4a0800'],
    accent: '0xffd27a',
    motion: 'rise',
  },
  {
    theme: 'dusk',
    words: /\b(dusk|sunset\w*|evening|twilight)\b/i,
    colors: ['0xff8c42', '0x5b2a86'],
    accent: '0xffe0b0',
    motion: 'drift',
  },
  {
    theme: 'dawn',
    words: /\b(dawn|sunrise\w*|morning)\b/i,
    colors: ['0xffd3a5', '0x7fb8e6'],
    accent: 'white',
    motion: 'rise',
  },
  {
    theme: 'night',
    words: /\b(night\w*|star\w*|moon\w*|midnight|space|galax\w*)\b/i,
    colors: ['0x0d1b3e', '0x020409'],
    accent: '0xfff7c0',
    motion: 'twinkle',
  },
  {
    theme: 'sea',
    words: /\b(sea|seas|ocean\w*|wave\w*|beach\w*|harbou?r\w*|river\w*|lake\w*|water\w*|boat\w*|ship\w*)\b/i,
    colors: ['0x2a9fd0', '0x0a3358'],
    accent: '0xd8f4ff',
    motion: 'sway',
  },
  {
    theme: 'forest',
    words: /\b(forest\w*|tree\w*|wood\w*|jungle|leaf|leaves|garden\w*|meadow\w*)\b/i,
    colors: ['0x3f8a4a', '0x0f2e18'],
    accent: '0xc8e6a0',
    motion: 'fall',
  },
  {
    theme: 'desert',
    words: /\b(desert\w*|sand\w*|dune\w*)\b/i,
    colors: ['0xeac37f', '0xa8581c'],
    accent: '0xfff0d0',
    motion: 'sway',
  },
  {
    theme: 'city',
    words: /\b(city|cities|street\w*|neon|building\w*|downtown|traffic|skyline)\b/i,
    colors: ['0x3a3f58', '0x1a0d26'],
    accent: '0xff5fa2',
    motion: 'twinkle',
  },
];

export function promptLook(prompt: string): PromptLook {
  const hit = LOOK_TABLE.find((e) => e.words.test(prompt));
  if (hit) return { theme: hit.theme, colors: hit.colors, accent: hit.accent, motion: hit.motion };
  const seed = visualSeed(prompt);
  return { theme: 'hash', colors: [seed.colorA, seed.colorB], accent: 'white', motion: 'drift' };
}
