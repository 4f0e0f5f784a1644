// The size each image provider asks its vendor for: the one nearest the job's frame that the
// vendor's API allows (sources in the modules: the openai SDK's type comments, Stability's v1
// reference, @google/genai's ImageConfig).
import { describe, expect, it } from 'vitest';
import {
  openAiImageModel,
  openAiImageSize,
  openAiSizeProblem,
} from '../../../src/images/openai/openai-image-models.js';
import { stabilitySize } from '../../../src/images/stability/stability-image-sizes.js';
import { geminiAspect } from '../../../src/images/gemini/gemini-image-generator.js';

const portrait = { width: 360, height: 640 };
const landscape = { width: 640, height: 360 };
const square = { width: 512, height: 512 };

describe('OpenAI image sizes per model', () => {
  it("GPT image models: the standard size of the frame's orientation", () => {
    const m = openAiImageModel('gpt-image-1');
    expect(openAiImageSize(m, portrait)).toEqual({ width: 1024, height: 1536 });
    expect(openAiImageSize(m, landscape)).toEqual({ width: 1536, height: 1024 });
    expect(openAiImageSize(m, square)).toEqual({ width: 1024, height: 1024 });
    expect(m).toMatchObject({ responseFormat: false, imageToImage: true });
  });

  it('gpt-image-2 takes any size divisible by 16: exactly 9:16 and 16:9', () => {
    const m = openAiImageModel('gpt-image-2');
    expect(openAiImageSize(m, portrait)).toEqual({ width: 864, height: 1536 });
    expect(openAiImageSize(m, landscape)).toEqual({ width: 1536, height: 864 });
    expect(openAiSizeProblem(m, { width: 864, height: 1536 })).toBeNull();
    expect(openAiSizeProblem(m, { width: 860, height: 1536 })).toMatch(/divisible by 16/);
    expect(openAiSizeProblem(m, { width: 3840, height: 640 })).toMatch(/between 1:3 and 3:1/);
  });

  it('DALL·E: its own sizes, a b64_json answer to ask for, and no image-to-image', () => {
    const d3 = openAiImageModel('dall-e-3');
    expect(openAiImageSize(d3, portrait)).toEqual({ width: 1024, height: 1792 });
    expect(openAiImageSize(d3, landscape)).toEqual({ width: 1792, height: 1024 });
    expect(d3).toMatchObject({ responseFormat: true, imageToImage: false });
    const d2 = openAiImageModel('dall-e-2');
    expect(openAiImageSize(d2, portrait)).toEqual({ width: 1024, height: 1024 });
    expect(d2).toMatchObject({ responseFormat: true, imageToImage: false });
    expect(openAiSizeProblem(d3, { width: 1536, height: 1024 })).toMatch(/1024x1024, 1792x1024, 1024x1792/);
  });
});

describe('Stability sizes', () => {
  it('SDXL: the nearest of its nine sizes', () => {
    expect(stabilitySize('stable-diffusion-xl-1024-v1-0', portrait)).toEqual({ width: 768, height: 1344 });
    expect(stabilitySize('stable-diffusion-xl-1024-v1-0', landscape)).toEqual({ width: 1344, height: 768 });
    expect(stabilitySize('stable-diffusion-xl-1024-v1-0', square)).toEqual({ width: 1024, height: 1024 });
    expect(stabilitySize('stable-diffusion-xl-1024-v1-0', { width: 2100, height: 900 })).toEqual({
      width: 1536,
      height: 640,
    });
  });

  it('v1.6: a long side of 1024 and a short side in multiples of 64', () => {
    expect(stabilitySize('stable-diffusion-v1-6', portrait)).toEqual({ width: 576, height: 1024 });
  });
});

describe('Gemini aspect ratios', () => {
  it('the listed ratio nearest the frame', () => {
    expect(geminiAspect(portrait)).toBe('9:16');
    expect(geminiAspect(landscape)).toBe('16:9');
    expect(geminiAspect(square)).toBe('1:1');
    expect(geminiAspect({ width: 800, height: 600 })).toBe('4:3');
    expect(geminiAspect({ width: 2560, height: 1080 })).toBe('21:9');
  });
});
