// What every vendor image provider shares: its options, its VendorClient, how it reads the input
// frame (labelled with its real type), and how it writes the returned image to the requested path.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { imageMimeType } from '../generators/remote/image-data-uri.js';
import { VendorClient } from '../http/vendor-client/vendor-client.js';
import type { RetrySettings } from '../http/vendor-client/retry-policy.js';
import type { ImageGenerator, ImageRequest } from './types.js';

export interface VendorImageOptions {
  apiKey: string;
  baseUrl: string;
  /** remote_api_settings' retries (remoteSettings() gives them). */
  retry: RetrySettings;
  log?: (message: string) => void;
}

export const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

/** A vendor image provider: its options and its client (base URL, the key's auth header, the shared retry settings). */
export abstract class VendorImageProvider<O extends VendorImageOptions> implements ImageGenerator {
  abstract readonly id: string;
  protected readonly client: VendorClient;

  constructor(
    vendor: string,
    protected readonly options: O,
    auth: (key: string) => Record<string, string>,
  ) {
    this.client = new VendorClient({
      vendor,
      baseUrl: options.baseUrl,
      auth: auth(options.apiKey),
      retry: options.retry,
    });
  }

  abstract generate(request: ImageRequest, options: { signal: AbortSignal }): Promise<string>;
}

export interface InputFrame {
  bytes: Buffer<ArrayBuffer>;
  mimeType: string;
  /** `stem` with the extension of the frame's real type. */
  fileName(stem: string): string;
}

const EXTENSIONS: Record<string, string> = { 'image/png': 'png', 'image/jpeg': 'jpg', 'image/webp': 'webp' };

export async function readInputFrame(path: string): Promise<InputFrame> {
  const bytes = await readFile(path);
  const mimeType = imageMimeType(bytes);
  return { bytes, mimeType, fileName: (stem) => `${stem}.${EXTENSIONS[mimeType] ?? 'bin'}` };
}

/** Writes a base64 image reply to `outputPath` (creating its folder) and returns the path. */
export async function writeImageReply(outputPath: string, base64: string): Promise<string> {
  await mkdir(dirname(outputPath), { recursive: true });
  await writeFile(outputPath, Buffer.from(base64, 'base64'), { mode: 0o600 });
  return outputPath;
}
