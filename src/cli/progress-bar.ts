// Stage and percent, redrawn in place on a terminal, one line per change otherwise.
export function progressBar(stream: NodeJS.WriteStream) {
  let last = '';
  return {
    update(progress: number, stage: string) {
      const width = 30;
      const filled = Math.round((Math.max(0, Math.min(100, progress)) / 100) * width);
      const line = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${String(progress).padStart(3)}% ${stage}`;
      if (line === last) return;
      last = line;
      if (stream.isTTY) stream.write(`\r${line}\x1b[K`);
      else stream.write(`${line}\n`);
    },
    done() {
      if (stream.isTTY && last) stream.write('\n');
    },
  };
}
