// Planner and image providers against protocol-faithful fakes, through whole jobs on the API:
// OpenAI chat (structured plans, corrective retry, auth/429/5xx), OpenAI images (generations and
// multipart edits, moderation refusal reworded once), Stability v1 and Gemini generateContent.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FakeOpenAiServer } from '../../fakes/openai/fake-openai-server.js';
import { FakeStabilityServer } from '../../fakes/stability/fake-stability-server.js';
import { FakeGeminiServer } from '../../fakes/gemini/fake-gemini-server.js';
import { postJob, startTestService, type TestService } from '../../support/test-service.js';
import { waitForJobStatus } from '../../support/job-status.js';
import { probeArtifact } from '../../support/backend-jobs.js';
import { pngSize } from '../../fakes/shared/fake-http-server.js';

const OPENAI_KEY = 'sk-test-openai-key-123456';
const openai = new FakeOpenAiServer(OPENAI_KEY);
const stability = new FakeStabilityServer('sk-test-stability-123456');
const gemini = new FakeGeminiServer('gemini-test-key-123456');
const services: TestService[] = [];

beforeAll(async () => {
  await Promise.all([openai.start(), stability.start(), gemini.start()]);
});
afterAll(async () => {
  await Promise.all([openai.stop(), stability.stop(), gemini.stop()]);
});
afterEach(async () => {
  await Promise.all(services.splice(0).map((s) => s.close()));
  openai.requests.length = 0;
  stability.requests.length = 0;
  gemini.requests.length = 0;
});

const retries = { remote_api_settings: { max_retries: 2, retry_base_seconds: 0.01 } };

async function runJob(config: Record<string, unknown>, prompt = 'A lighthouse. The sea.') {
  const svc = await startTestService({ ...retries, ...config });
  services.push(svc);
  const { id } = (await (await postJob(svc.url, { prompt })).json()) as { id: string };
  const job = await waitForJobStatus(svc.url, id);
  const { lines } = (await (await fetch(`${svc.url}/v1/jobs/${id}/logs?tail=0`)).json()) as { lines: string[] };
  return { job, lines, svc, id };
}

/** Planning through the fake OpenAI (its URL is known once it has started). */
const withOpenAi = () => ({
  prompt_enhancement_model: 'gpt-4o-mini',
  openai_api_key: OPENAI_KEY,
  openai_base_url: `${openai.url}/v1`,
});

describe('OpenAI planner', () => {
  it('plans with structured output and the plan drives the segments', async () => {
    const { job, lines } = await runJob(withOpenAi());
    expect(job.status).toBe('finished');
    expect(lines.some((l) => l.includes('Generating 2 video segments'))).toBe(true);
    const chat = openai.requests.filter((r) => r.path === '/v1/chat/completions');
    expect(chat).toHaveLength(1);
    const body = JSON.parse(chat[0]!.body.toString()) as {
      model: string;
      messages: { role: string; content: string }[];
      response_format: { type: string; json_schema: { name: string; strict: boolean } };
    };
    expect(body.model).toBe('gpt-4o-mini');
    expect(body.messages.map((m) => m.role)).toEqual(['system', 'user']);
    expect(body.messages[1]!.content).toBe('A lighthouse. The sea.');
    expect(body.messages[0]!.content).toMatch(/at most 2000 characters/);
    expect(body.response_format).toMatchObject({
      type: 'json_schema',
      json_schema: { name: 'PromptEnhancementResult', strict: true },
    });
  });

  it('asks once more after an invalid reply, then uses the corrected one', async () => {
    openai.planReplies.push(
      FakeOpenAiServer.plan(openai.defaultSegments.slice(0, 1), 2),
      FakeOpenAiServer.plan(openai.defaultSegments),
    );
    const { job } = await runJob(withOpenAi());
    expect(job.status).toBe('finished');
    const chat = openai.requests.filter((r) => r.path === '/v1/chat/completions');
    expect(chat).toHaveLength(2);
    const second = JSON.parse(chat[1]!.body.toString()) as { messages: { role: string; content: string }[] };
    expect(second.messages.at(-1)!.content).toMatch(/video_prompts has 1 entries but number_of_segments is 2/);
  });

  it('fails the job naming the problem when the reply is invalid twice', async () => {
    openai.planReplies.push({ not: 'a plan' }, FakeOpenAiServer.plan(openai.defaultSegments.slice(0, 1), 3));
    const { job } = await runJob(withOpenAi());
    expect(job.status).toBe('failed');
    expect(job.error).toMatch(/^Planner reply invalid after a corrective retry: .*number_of_segments is 3/);
  });

  it('does not retry a rejected key, and retries 429 (Retry-After) and 5xx', async () => {
    const bad = await runJob({ ...withOpenAi(), openai_api_key: 'sk-wrong-key-000000' });
    expect(bad.job.status).toBe('failed');
    // ttv's sentence for the client; OpenAI's code only in the job log.
    expect(bad.job.error).toBe('The planning vendor (OpenAI) answered HTTP 401 for the plan (credentials rejected).');
    expect(
      bad.lines.some((l) => l.includes('Failure detail: Planning failed: OpenAI planner: HTTP 401 (invalid_api_key)')),
    ).toBe(true);
    expect(openai.requests.filter((r) => r.path === '/v1/chat/completions')).toHaveLength(1);
    openai.requests.length = 0;
    openai.script('/v1/chat/completions', {
      status: 429,
      body: { error: { message: 'Rate limit', code: 'rate_limit_exceeded' } },
      headers: { 'retry-after': '0' },
    });
    openai.script('/v1/chat/completions', { status: 503, body: { error: { message: 'overloaded' } } });
    const ok = await runJob(withOpenAi());
    expect(ok.job.status).toBe('finished');
    expect(openai.requests.filter((r) => r.path === '/v1/chat/completions')).toHaveLength(3);
    expect(ok.lines.some((l) => /OpenAI planner: HTTP 429 .*retrying/.test(l))).toBe(true);
  });
});

describe('image providers in keyframe mode', () => {
  it('OpenAI images: generations for the initial frame, multipart edits for each keyframe', async () => {
    const { job } = await runJob({
      ...withOpenAi(),
      prompt_enhancement_model: 'procedural',
      generation_mode: 'keyframe',
      image_generation_model: 'gpt-image-1',
    });
    expect(job.status).toBe('finished');
    const paths = openai.requests.map((r) => r.path);
    expect(paths.filter((p) => p === '/v1/images/generations')).toHaveLength(1);
    expect(paths.filter((p) => p === '/v1/images/edits')).toHaveLength(2);
    const edit = openai.requests.find((r) => r.path === '/v1/images/edits')!;
    expect(String(edit.headers['content-type'])).toMatch(/^multipart\/form-data; boundary=/);
    expect(edit.body.includes(Buffer.from('name="image"'))).toBe(true);
    const gen = JSON.parse(openai.requests.find((r) => r.path === '/v1/images/generations')!.body.toString()) as Record<
      string,
      unknown
    >;
    // A 16:9 job (procedural 160x90): gpt-image-1's landscape size, no response_format (GPT models refuse it).
    expect(gen).toMatchObject({ model: 'gpt-image-1', n: 1, size: '1536x1024' });
    expect(gen).not.toHaveProperty('response_format');
    expect(String(gen.prompt)).toMatch(/^First frame establishing shot: /);
  });

  it('rewords a refused image prompt once, and fails clearly when it is refused again', async () => {
    const refusal = {
      status: 400,
      body: { error: { message: 'Your request was rejected by the safety system.', code: 'moderation_blocked' } },
    };
    openai.script('/v1/images/generations', refusal);
    const ok = await runJob(
      {
        ...withOpenAi(),
        prompt_enhancement_model: 'procedural',
        generation_mode: 'keyframe',
        image_generation_model: 'gpt-image-1',
      },
      'One scene.',
    );
    expect(ok.job.status).toBe('finished');
    expect(
      ok.lines.some((l) => /refused the image prompt \(moderation_blocked\); rewording the prompt once/.test(l)),
    ).toBe(true);
    const gens = openai.requests
      .filter((r) => r.path === '/v1/images/generations')
      .map((r) => JSON.parse(r.body.toString()).prompt as string);
    expect(gens).toHaveLength(2);
    expect(gens[1]).toBe('A calm, friendly scene of the same subject.');
    openai.script('/v1/images/generations', refusal, 2);
    const bad = await runJob(
      {
        ...withOpenAi(),
        prompt_enhancement_model: 'procedural',
        generation_mode: 'keyframe',
        image_generation_model: 'gpt-image-1',
      },
      'One scene.',
    );
    expect(bad.job.status).toBe('failed');
    expect(bad.job.error).toBe('The image vendor (openai) refused the first frame: content policy.');
    expect(
      bad.lines.some((l) =>
        l.includes('The first frame failed at openai: OpenAI images refused the image prompt (moderation_blocked)'),
      ),
    ).toBe(true);
  });

  it('Stability SDXL: JSON text-to-image and multipart image-to-image', async () => {
    const { job } = await runJob({
      generation_mode: 'keyframe',
      image_generation_model: 'stability-sdxl',
      stability_api_key: 'sk-test-stability-123456',
      stability_base_url: stability.url,
    });
    expect(job.status).toBe('finished');
    const paths = stability.requests.map((r) => r.path);
    expect(paths).toEqual([
      '/v1/generation/stable-diffusion-xl-1024-v1-0/text-to-image',
      '/v1/generation/stable-diffusion-xl-1024-v1-0/image-to-image',
      '/v1/generation/stable-diffusion-xl-1024-v1-0/image-to-image',
    ]);
    // A 16:9 job: the SDXL size nearest 16:9.
    expect(JSON.parse(stability.requests[0]!.body.toString())).toMatchObject({
      text_prompts: [{ weight: 1 }],
      cfg_scale: 7,
      samples: 1,
      steps: 30,
      width: 1344,
      height: 768,
    });
  });

  it('Gemini: generateContent with the previous keyframe inline, the largest image part kept', async () => {
    const { job } = await runJob({
      generation_mode: 'keyframe',
      image_generation_model: 'gemini-2.5-flash-image-preview',
      gemini_api_key: 'gemini-test-key-123456',
      gemini_base_url: gemini.url,
    });
    expect(job.status).toBe('finished');
    expect(gemini.requests).toHaveLength(3);
    const second = JSON.parse(gemini.requests[1]!.body.toString()) as {
      contents: { parts: { inlineData?: unknown; text?: string }[] }[];
    };
    expect(second.contents[0]!.parts[0]).toHaveProperty('inlineData');
    expect(gemini.requests[0]!.path).toBe('/v1beta/models/gemini-2.5-flash-image-preview:generateContent');
  });

  it('fails clearly on a rejected Stability key and on a prompt Gemini blocks twice', async () => {
    const badKey = await runJob({
      generation_mode: 'keyframe',
      image_generation_model: 'stability-sdxl',
      stability_api_key: 'sk-wrong-000000',
      stability_base_url: stability.url,
    });
    expect(badKey.job.status).toBe('failed');
    expect(badKey.job.error).toBe(
      'The image vendor (stability) answered HTTP 401 for the first frame (credentials rejected).',
    );
    expect(badKey.lines.some((l) => l.includes('Stability: HTTP 401 (Missing or invalid API key)'))).toBe(true);
    expect(stability.requests).toHaveLength(1);
    const blocked = { status: 200, body: { promptFeedback: { blockReason: 'SAFETY' }, candidates: [] } };
    gemini.script('/v1beta/models/', blocked, 2);
    const refused = await runJob({
      generation_mode: 'keyframe',
      image_generation_model: 'gemini-2.5-flash-image-preview',
      gemini_api_key: 'gemini-test-key-123456',
      gemini_base_url: gemini.url,
    });
    expect(refused.job.status).toBe('failed');
    expect(refused.job.error).toBe('The image vendor (gemini) refused the first frame: content policy.');
    expect(refused.lines.some((l) => l.includes('rewording the prompt once'))).toBe(true);
  });

  it('falls back to the offline providers when a model is named but no key is configured', async () => {
    const { job, lines } = await runJob({
      generation_mode: 'keyframe',
      image_generation_model: 'gemini-2.5-flash-image-preview',
      prompt_enhancement_model: 'o4-mini',
    });
    expect(job.status).toBe('finished');
    expect(lines.some((l) => l.includes('No gemini_api_key configured'))).toBe(true);
    expect(lines.some((l) => l.includes('No OpenAI key configured'))).toBe(true);
    expect(gemini.requests).toHaveLength(0);
  });
});

describe("frames in the job's aspect ratio (9:16)", () => {
  const portrait = { generation_mode: 'keyframe', video_aspect_ratio: '9:16' };
  /** The log lines that say a provider's image was cropped to 9:16. */
  const cropped = (lines: string[]) =>
    lines
      .filter((l) => /from \w+ is \d+x\d+: cropped to \d+x\d+ \(9:16\)/.test(l))
      .map((l) => l.replace(/^\[[^\]]+\] /, ''));

  it('OpenAI gpt-image-1: asked for 1024x1536 (its portrait size), cropped to 864x1536; the video is portrait', async () => {
    const { job, lines, svc, id } = await runJob({
      ...portrait,
      image_generation_model: 'gpt-image-1',
      openai_api_key: OPENAI_KEY,
      openai_base_url: `${openai.url}/v1`,
    });
    expect(job.status).toBe('finished');
    const generation = JSON.parse(
      openai.requests.find((r) => r.path === '/v1/images/generations')!.body.toString(),
    ) as Record<string, unknown>;
    expect(generation.size).toBe('1024x1536');
    const edits = openai.requests.filter((r) => r.path === '/v1/images/edits');
    expect(edits).toHaveLength(2);
    for (const edit of edits) expect(edit.body.toString('latin1')).toMatch(/name="size"\r\n\r\n1024x1536\r\n/);
    expect(cropped(lines)).toEqual([
      'The first frame from openai is 1024x1536: cropped to 864x1536 (9:16)',
      'Keyframe 1 from openai is 1024x1536: cropped to 864x1536 (9:16)',
      'Keyframe 2 from openai is 1024x1536: cropped to 864x1536 (9:16)',
    ]);
    // The procedural backend renders the job's aspect at procedural.width's long side: 90x160.
    expect(await probeArtifact(svc, id)).toMatchObject({ width: 90, height: 160 });
  });

  it('Stability SDXL: asked for 768x1344, the previous keyframe resized to 768x1344 for image-to-image', async () => {
    const { job, lines } = await runJob({
      ...portrait,
      image_generation_model: 'stability-sdxl',
      stability_api_key: 'sk-test-stability-123456',
      stability_base_url: stability.url,
    });
    expect(job.status).toBe('finished');
    expect(JSON.parse(stability.requests[0]!.body.toString())).toMatchObject({ width: 768, height: 1344 });
    // The fake refuses an init_image of a size SDXL does not take; these were taken, at 768x1344.
    for (const req of stability.requests.slice(1)) {
      const form = await new Response(new Uint8Array(req.body), {
        headers: { 'content-type': String(req.headers['content-type']) },
      }).formData();
      expect(pngSize(Buffer.from(await (form.get('init_image') as Blob).arrayBuffer()))).toEqual({
        width: 768,
        height: 1344,
      });
    }
    expect(cropped(lines)).toHaveLength(3);
    expect(cropped(lines)[0]).toBe('The first frame from stability is 768x1344: cropped to 756x1344 (9:16)');
  });

  it('Gemini: imageConfig.aspectRatio 9:16 on every request, its 768x1344 cropped to 756x1344', async () => {
    const { job, lines } = await runJob({
      ...portrait,
      image_generation_model: 'gemini-2.5-flash-image-preview',
      gemini_api_key: 'gemini-test-key-123456',
      gemini_base_url: gemini.url,
    });
    expect(job.status).toBe('finished');
    expect(gemini.requests).toHaveLength(3);
    for (const req of gemini.requests) {
      expect(JSON.parse(req.body.toString())).toMatchObject({
        generationConfig: { imageConfig: { aspectRatio: '9:16' } },
      });
    }
    expect(cropped(lines)[0]).toBe('The first frame from gemini is 768x1344: cropped to 756x1344 (9:16)');
  });

  it("the offline provider renders the frames at the job's size: nothing to crop", async () => {
    const { job, lines, svc, id } = await runJob(portrait);
    expect(job.status).toBe('finished');
    expect(lines.some((l) => l.includes('Keyframes are asked for at 90x160 (9:16) from procedural'))).toBe(true);
    expect(cropped(lines)).toEqual([]);
    expect(await probeArtifact(svc, id)).toMatchObject({ width: 90, height: 160 });
  });
});
