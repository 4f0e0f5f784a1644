// Creates and revokes API keys the way an operator does: the real `ttv keys` command (bin/ttv.js).
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { TTV_BIN } from './ttv-process.js';

const run = promisify(execFile);

export interface CreatedKey {
  id: string;
  secret: string;
  stdout: string;
  stderr: string;
}

/** `args` names the store: ['--data-dir', dir] or ['--config', file]. */
export async function createKey(storeArgs: string[], name: string, extra: string[] = []): Promise<CreatedKey> {
  const { stdout, stderr } = await run(process.execPath, [
    TTV_BIN,
    'keys',
    'create',
    '--name',
    name,
    ...extra,
    ...storeArgs,
  ]);
  const secret = /^secret: (\S+)$/m.exec(stdout)?.[1];
  const id = /^(key_[0-9a-f]+)\t/m.exec(stdout)?.[1];
  if (!secret || !id) throw new Error(`ttv keys create printed no key:\n${stdout}\n${stderr}`);
  return { id, secret, stdout, stderr };
}

export async function revokeKey(storeArgs: string[], id: string): Promise<{ stdout: string; stderr: string }> {
  return run(process.execPath, [TTV_BIN, 'keys', 'revoke', id, ...storeArgs]);
}

export async function listKeys(storeArgs: string[]): Promise<string> {
  return (await run(process.execPath, [TTV_BIN, 'keys', 'list', ...storeArgs])).stdout;
}
