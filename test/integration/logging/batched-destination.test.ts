// The process log gathers a turn's lines before writing them: a process that logs and then exits
// synchronously (a CLI error path) must still write every line.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const loggerModule = fileURLToPath(new URL('../../../dist/logging/logger.js', import.meta.url));

describe('the process logger on exit', () => {
  // 20 000 lines (~2 MB) are pending in one turn, more than a pipe holds: the exit path must write all of
  // them, not only what fits.
  it('writes the lines logged just before a synchronous process.exit()', async () => {
    const script = `import { createLogger } from ${JSON.stringify(loggerModule)};
      const log = createLogger({ level: 'info' });
      for (let i = 0; i < 20000; i += 1) log.info({ i, pad: 'x'.repeat(40) }, 'line');
      log.error('last words');
      process.exit(3);`;
    const failure = await run(process.execPath, ['--input-type=module', '-e', script], {
      maxBuffer: 64 * 1024 * 1024,
    }).then(
      () => null,
      (err: { code: number; stdout: string }) => err,
    );
    expect(failure?.code).toBe(3);
    const lines = failure!.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { msg: string; i?: number });
    expect(lines.filter((l) => l.msg === 'line').map((l) => l.i)).toEqual(Array.from({ length: 20000 }, (_, i) => i));
    expect(lines.at(-1)?.msg).toBe('last words');
  });
});
