// The rule every benchmark applies before it prints a figure: a run counts only the answers it meant
// to measure (the expected status, with sampled bodies of the expected shape). Anything else (another
// status, a socket error, a timeout, a body that fails its check, or no body checked at all) makes the
// run dirty: its figures are printed but marked, and the bench exits non-zero.

/**
 * @param {object} tally
 * @param {number} tally.expectStatus           status the bench meant to measure (200, 202, …)
 * @param {Record<string, number>} tally.statusCounts  answers by status code
 * @param {number} [tally.socketErrors]         connect/read/write errors
 * @param {number} [tally.timeouts]
 * @param {number} tally.bodiesChecked          sampled bodies whose shape was checked
 * @param {number} tally.bodiesFailed           of those, how many did not match
 * @param {string} [tally.firstBadBody]         an example of a failed body (trimmed)
 * @returns {{ ok: number, other: number, clean: boolean, problems: string[] }}
 */
export function answerVerdict(tally) {
  const problems = [];
  let ok = 0;
  let other = 0;
  for (const [status, count] of Object.entries(tally.statusCounts)) {
    if (Number(status) === tally.expectStatus) ok += count;
    else {
      other += count;
      if (count > 0) problems.push(`${count} answers with status ${status} (expected ${tally.expectStatus})`);
    }
  }
  const socketErrors = tally.socketErrors ?? 0;
  const timeouts = tally.timeouts ?? 0;
  if (socketErrors > 0) problems.push(`${socketErrors} socket errors`);
  if (timeouts > 0) problems.push(`${timeouts} timeouts`);
  if (ok === 0) problems.push(`no answer with status ${tally.expectStatus}`);
  if (tally.bodiesChecked === 0) problems.push('no body was checked');
  if (tally.bodiesFailed > 0) {
    problems.push(
      `${tally.bodiesFailed} of ${tally.bodiesChecked} sampled bodies had the wrong shape${tally.firstBadBody ? `, e.g. ${tally.firstBadBody.slice(0, 160)}` : ''}`,
    );
  }
  return { ok, other: other + socketErrors + timeouts, clean: problems.length === 0, problems };
}
