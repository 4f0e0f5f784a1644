// Escaping for values placed inside an ffmpeg filtergraph given with -vf / -filter_complex.
// Two parsers read such a value (ffmpeg-filters(1), "Notes on filtergraph escaping"): first the
// filtergraph parser, which splits on [ ] , ; and honours \ and ' ; then the filter's option parser,
// which splits on : and honours \ and ' again. Both trim unescaped leading and trailing whitespace.
// So the value is escaped for the option level first and the result escaped again for the graph
// level. A backslash makes any following character literal; quotes are not used because a quote
// cannot be escaped inside quotes.

/** Escapes `value` for one `key=value` option of a filter inside a filtergraph string. */
export function escapeFilterValue(value: string): string {
  const optionLevel = value.replace(/[\\':\s]/g, '\\$&');
  return optionLevel.replace(/[\\'[\],;\s]/g, '\\$&');
}
