// The e2e setup on PostgreSQL (ttv-fixture.ts): one PostgreSQL cluster the test file owns (initdb'd into
// a temp dir, never the machine's shared server, so a test may crash and restart it), and per test a
// fresh schema in it.
import { ttvFixture, type TtvFixture } from './ttv-fixture.js';
import { startPostgresCluster, type PostgresCluster } from './postgres-cluster.js';

export { argvFor, type TtvKind, type TtvSetup } from './ttv-fixture.js';

export function postgresTtvFixture(name: string): TtvFixture<PostgresCluster> {
  return ttvFixture(name, {
    start: () => startPostgresCluster(),
    stop: (cluster) => cluster.destroy(),
    configLine: (cluster, schema) => `postgres: { url: "${cluster.url}", schema: "${schema}" }`,
  });
}
