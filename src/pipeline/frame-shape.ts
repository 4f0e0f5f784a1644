// The shape of a run's frames (first frame, keyframes): the job's aspect ratio when it asks for one,
// else the aspect the backend renders without being asked (runway_ml.default_ratio, Veo's 16:9), else
// the procedural frame size's. Image providers are asked for the size nearest it that their API
// allows, and whatever comes back in another shape is cropped to it before a video vendor sees it.
import type { AppConfig } from '../config/schema.js';
import type { GeneratorCapabilities } from '../generators/types.js';
import { aspectText, sizeInAspect, type FrameSize } from '../media/frame-geometry.js';

export interface FrameShape {
  /** "9:16". */
  aspect: string;
  /** The size the offline provider renders, and the size every provider is asked to come near. */
  size: FrameSize;
  /** Whether the shape is fixed (asked for, or the backend renders fixed ratios), so a given first frame is cropped to it too. */
  fixed: boolean;
}

export function frameShape(config: AppConfig, caps: GeneratorCapabilities): FrameShape {
  const procedural = { width: config.procedural.width, height: config.procedural.height };
  const backendAspect = caps.defaultAspectRatio ?? caps.aspectRatios?.[0];
  const aspect = config.video_aspect_ratio ?? backendAspect ?? aspectText(procedural);
  return {
    aspect,
    size: sizeInAspect(aspect, procedural),
    fixed: config.video_aspect_ratio !== undefined || backendAspect !== undefined,
  };
}
