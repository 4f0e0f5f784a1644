// Rate limits raised out of the way for load benches: at their defaults they would answer the load
// generator with 429s and the figures would measure the limiter.
export const LIMITS_RAISED = { read_rate_limit_per_minute: 1_000_000_000, rate_limit_per_minute: 1_000_000_000 };
