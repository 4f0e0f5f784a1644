// The API version reported by /healthz, / and the metrics (the Python server reported 1.0.0).
export const VERSION = '1.0.0';
