// A Google service-account key file with a freshly generated RSA key, for signing V4 URLs offline.
import { generateKeyPairSync } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface TestServiceAccount {
  file: string;
  clientEmail: string;
  publicKeyPem: string;
}

export async function writeServiceAccount(
  dir: string,
  tokenUri = 'http://127.0.0.1:9/token',
): Promise<TestServiceAccount> {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const clientEmail = 'ttv-test@ttv-test-project.iam.gserviceaccount.com';
  const file = join(dir, 'service-account.json');
  await writeFile(
    file,
    JSON.stringify({
      type: 'service_account',
      project_id: 'ttv-test-project',
      private_key_id: 'test-key-1',
      private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      client_email: clientEmail,
      client_id: '1234567890',
      token_uri: tokenUri,
    }),
  );
  return { file, clientEmail, publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString() };
}
