// Shared by the Videos-API tests that drive the official openai SDK.
import type OpenAI from 'openai';
import { expect } from 'vitest';
import { waitForProgress } from './wait-for.js';

/** ttv's video object: OpenAI's, plus the source of an extension (not in the SDK's types). */
export type TtvVideo = OpenAI.Videos.Video & { extended_from_video_id: string | null };

/** Polls a video (bounded by progress, not wall time) until it ends; it must have completed without error. */
export async function completedVideo(client: OpenAI, id: string): Promise<TtvVideo> {
  let video: OpenAI.Videos.Video | null = null;
  await waitForProgress(
    async () => {
      video = await client.videos.retrieve(id);
      return { done: video.status === 'completed' || video.status === 'failed', progress: video.progress };
    },
    { what: `video ${id}` },
  );
  expect(video!.error).toBeNull();
  expect(video!.status).toBe('completed');
  return video! as TtvVideo;
}
