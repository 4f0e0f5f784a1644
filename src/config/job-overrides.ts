// The HTTP request's part of the effective config (HTTP > CLI > file): today only the prompt.
import type { AppConfig } from './schema.js';
import type { JobRequest } from '../jobs/job.js';

export function applyJobOverrides(config: AppConfig, request: JobRequest): AppConfig {
  return { ...config, prompt: request.prompt };
}
