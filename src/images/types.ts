// The ImageGenerator port: keyframe prompts into images.

export interface ImageRequest {
  prompt: string;
  outputPath: string;
  /** Image-to-image source, when the provider supports it. */
  inputImage?: string;
  width: number;
  height: number;
}

export interface ImageGenerator {
  readonly id: string;
  generate(request: ImageRequest, options: { signal: AbortSignal }): Promise<string>;
}
