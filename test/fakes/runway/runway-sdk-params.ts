// The create-params types of @runwayml/sdk's video endpoints, read from the installed SDK's
// declaration files: per endpoint, each model of the discriminated union and the shape of its body.
// The Runway fake checks bodies against these, so it accepts exactly what the SDK types allow.
import { DeclarationFile, literalValues, unionMembers, type Shape } from '../shared/sdk-type-shape.js';

export type RunwayVideoPath = '/v1/image_to_video' | '/v1/text_to_video';

const FILES: Record<RunwayVideoPath, { file: string; type: string }> = {
  '/v1/image_to_video': { file: 'resources/image-to-video.d.ts', type: 'ImageToVideoCreateParams' },
  '/v1/text_to_video': { file: 'resources/text-to-video.d.ts', type: 'TextToVideoCreateParams' },
};

const cache = new Map<RunwayVideoPath, Map<string, Shape & { kind: 'object' }>>();

/** Model id → the body shape the SDK types for it on this endpoint (the union's members, in order). */
export function runwayModelShapes(path: RunwayVideoPath): Map<string, Shape & { kind: 'object' }> {
  const known = cache.get(path);
  if (known) return known;
  const { file, type } = FILES[path];
  const shapes = new Map<string, Shape & { kind: 'object' }>();
  for (const member of unionMembers(DeclarationFile.ofPackage('@runwayml/sdk', file).type(type))) {
    if (member.kind !== 'object') continue;
    const model = member.props.get('model');
    for (const id of model ? literalValues(model.shape) : []) shapes.set(String(id), member);
  }
  cache.set(path, shapes);
  return shapes;
}

/** Every video model id of the SDK's create unions (both endpoints). */
export function runwaySdkVideoModels(): string[] {
  return [
    ...new Set([...runwayModelShapes('/v1/image_to_video').keys(), ...runwayModelShapes('/v1/text_to_video').keys()]),
  ];
}
